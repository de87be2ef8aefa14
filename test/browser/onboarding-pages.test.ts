import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkOnboarding } from '../../cli/client/onboarding.js';
import { getConfig, ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { describeViolations, launchChromium, screenshot, seriousAxeViolations, type Page, type RunningBrowser } from '../support/browser.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { randomTenantId } from '../support/tokens.js';

/** The onboarding pages an admin sees in a browser, on a phone: one <main>, no sideways scrolling. */
const host = useLocalHost();
useSimulatedMicrosoft();

let running: RunningBrowser;
let page: Page;

beforeAll(async () => {
  running = await launchChromium();
  page = await (await running.browser.newContext({ viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' })).newPage();
}, 60_000);
afterAll(async () => {
  await running?.close();
});

async function checkNarrow(name: string): Promise<void> {
  expect(await page.locator('main').count()).toBe(1);
  const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  const violations = await seriousAxeViolations(page);
  expect(violations, describeViolations(violations)).toEqual([]);
  await screenshot(page, `onboarding-${name}-390`);
}

describe('onboarding pages at 390 px in Chromium', () => {
  it('the success page keeps its table of application and service principal ids readable, every id on screen with its label', async () => {
    const tenant = randomTenantId();
    const walk = await walkOnboarding({ baseUrl: host.url, tenant });
    expect(walk.finalStatus).toBe(200);
    await page.setContent(walk.finalHtml);
    await checkNarrow('success');
    const cells = page.locator('td');
    expect(await cells.count()).toBe(8);
    for (let i = 0; i < 8; i += 1) {
      const box = await cells.nth(i).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    }
    // The narrow layout names each value's column in front of it.
    expect(await page.evaluate(`getComputedStyle(document.querySelector('td[data-label="Service principal id"]'), '::before').content`)).toContain(
      'Service principal id',
    );
  });

  it('the problem page an admin gets for a bad tenant is one <main> and fits the phone', async () => {
    const response = await page.goto(`${host.url}/onboarding/start?tenant=${encodeURIComponent('not a tenant')}`);
    expect(response?.status()).toBe(400);
    await checkNarrow('problem');
  });
});

describe('the development sign-in page at 390 px in Chromium', () => {
  function signInUrl(): string {
    const query = new URLSearchParams({
      client_id: getConfig().clientAppId,
      redirect_uri: `${host.url}/portal/`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'A'.repeat(43),
      code_challenge_method: 'S256',
    });
    return `${host.url}/dev/login/organizations/oauth2/v2.0/authorize?${query}`;
  }

  it('keeps a long user principal name inside the page, and after an error keeps what was typed and ticked', async () => {
    const tenant = randomTenantId();
    getSimulation().directory.saveUser({
      tenantId: tenant,
      displayName: 'Long Name',
      userPrincipalName: 'a.rather.long.user.principal.name.for.a.phone@contoso-with-a-long-name.onmicrosoft.com',
      directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator],
      appRoles: [],
    });
    await page.goto(signInUrl());
    const insideMain = () =>
      page.evaluate(
        `[...document.querySelectorAll('fieldset')].every((set) => set.getBoundingClientRect().right <= document.querySelector('main').getBoundingClientRect().right + 0.5)`,
      );
    expect(await insideMain()).toBe(true);

    // The tenant id is forgotten: the page says so and keeps the rest.
    await page.fill('#displayName', 'Nora Newcomer');
    await page.fill('#userPrincipalName', 'nora@newcomer.example');
    await page.getByLabel('Global Administrator', { exact: true }).check();
    const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(response?.status()).toBe(400);
    expect(await page.locator('[role="alert"]').textContent()).toBe("Give the new user's tenant id (a GUID).");
    expect(await page.inputValue('#displayName')).toBe('Nora Newcomer');
    expect(await page.inputValue('#userPrincipalName')).toBe('nora@newcomer.example');
    expect(await page.getByLabel('Global Administrator', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Intune Administrator', { exact: true }).isChecked()).toBe(false);
    expect(await insideMain()).toBe(true);
    await checkNarrow('dev-sign-in-error');

    await page.fill('#tenantId', tenant);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(
      getSimulation()
        .directory.listUsers(tenant)
        .map((user) => user.userPrincipalName),
    ).toContain('nora@newcomer.example');
  });
});
