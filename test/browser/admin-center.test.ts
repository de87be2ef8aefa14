import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { completeAuthorityPages, type DirectoryUser } from '../support/browser-login.js';
import {
  chromiumVersion,
  describeViolations,
  findChromium,
  launchChromium,
  screenshot,
  seriousAxeViolations,
  watchConsole,
  type BrowserContext,
  type Page,
  type RunningBrowser,
} from '../support/browser.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, randomTenantId } from '../support/tokens.js';

/**
 * The admin center in a real browser (Debian's Chromium through playwright-core) against the local
 * host of this file: an admin signs in on the development authority with authorization code + PKCE,
 * onboards the tenant, changes settings, resets the passcode of a device the agent enrolled and sees
 * the agent complete it, reveals the passcode with a reason, rotates and retires a key, and filters
 * the audit log. Every page passes axe-core (no serious or critical violation), logs no CSP refusal,
 * and is photographed under test-results/portal/.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

const CLI = path.resolve('dist/cli/pinreset-agent.js');
const tenantId = randomTenantId();
const admin: DirectoryUser = {
  displayName: 'Adele Vance',
  userPrincipalName: `adele@${tenantId.slice(0, 8)}.example`,
  tenantId,
  roles: ['Global Administrator'],
};

let running: RunningBrowser;
let context: BrowserContext;
let page: Page;
let consoleProblems: string[];
let deviceEnv: Record<string, string>;
let managedDeviceId: string;

function portal(route = ''): string {
  return `${host.url}/portal/${route}`;
}

/** A Fluent button by its exact text (its role comes from ElementInternals, which locators do not read). */
function button(text: string, scope: Page | ReturnType<Page['locator']> = page) {
  return scope.locator(`fluent-button:text-is("${text}")`);
}

/**
 * `pinreset-agent login` (device code flow), its code entered and approved in the browser as the
 * device's user would; resolves when the agent has its tokens.
 */
async function agentLogin(user: DirectoryUser): Promise<void> {
  const login = spawn(process.execPath, [CLI, 'login'], {
    env: { PATH: process.env.PATH, PINRESET_URL: host.url, ...deviceEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    login.on('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  login.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  login.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await eventually(() => /open the page (\S+) and enter the code (\S+) /.test(output)).toBe(true);
    const [, verificationUri = '', userCode = ''] = /open the page (\S+) and enter the code (\S+) /.exec(output) ?? [];
    const devicePage = await context.newPage();
    try {
      await devicePage.goto(verificationUri);
      await devicePage.fill('#otc', userCode);
      await Promise.all([devicePage.waitForNavigation(), devicePage.getByRole('button', { name: 'Next' }).click()]);
      await completeAuthorityPages(devicePage, user, `${host.url}/portal/`, { done: () => exitCode !== undefined || /signed in|You can close/i.test(output) });
    } finally {
      await devicePage.close();
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    expect(exitCode, output).toBe(0);
  } finally {
    if (exitCode === undefined) login.kill();
  }
}

function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, PINRESET_URL: host.url, ...deviceEnv }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** Waits for what the page shows (a key rotation generates an RSA key; the agent runs as a process). */
function eventually<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: options.timeout ?? 15_000, interval: 100 });
}

/** Screenshot at the current width and at 390 px, and axe-core on the page as shown. */
async function checkPage(name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await eventually(() => page.locator('.loading').count()).toBe(0);
  // Nothing hovered or pressed: axe judges the page at rest.
  await page.mouse.move(0, 0);
  const violations = await seriousAxeViolations(page);
  expect(violations, describeViolations(violations)).toEqual([]);
  await screenshot(page, name);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const narrowViolations = await seriousAxeViolations(page);
  expect(narrowViolations, describeViolations(narrowViolations)).toEqual([]);
  const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  await screenshot(page, `${name}-390`);
  if (size) await page.setViewportSize(size);
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does).`);
  if (!existsSync(path.resolve('dist/portal/index.html'))) throw new Error('dist/portal is missing: run npm run build first (npm test does).');
  process.stderr.write(`Admin center browser tests: ${chromiumVersion(findChromium())}\n`);
  running = await launchChromium();
  // Reduced motion: Fluent's buttons then change colour at once, so axe never judges a colour mid-transition.
  context = await running.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, reducedMotion: 'reduce' });
  page = await context.newPage();
  consoleProblems = watchConsole(page);
  const directory = await mkdtemp(path.join(tmpdir(), 'portal-agent-'));
  deviceEnv = { HOME: directory, PINRESET_AGENT_STATE: path.join(directory, 'state.json'), PINRESET_TENANT: tenantId };
}, 120_000);

/** A failed step leaves a picture of the page and says what it showed. */
afterEach(async (test) => {
  if (test.task.result?.state !== 'fail' || !page) return;
  const name = `failed-${test.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
  await screenshot(page, name).catch(() => undefined);
  process.stderr.write(
    `[${name}] at ${page.url()}\n${(
      await page
        .locator('body')
        .innerText()
        .catch(() => '')
    ).slice(0, 2000)}\n`,
  );
});

afterAll(async () => {
  await context?.close();
  await running?.close();
});

describe('the admin center in Chromium', () => {
  it('serves /portal/ with a CSP that allows no inline script', async () => {
    const response = await fetch(portal());
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('signs an admin in on the development authority (authorization code + PKCE) and shows who and which tenant', async () => {
    await page.goto(portal());
    await checkPage('signed-out');
    await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/dev/login/')), button('Sign in').click()]);
    await completeAuthorityPages(page, admin, portal());
    await eventually(() => page.locator('.who-name').textContent()).toBe(admin.displayName);
    expect(await page.locator('.who-tenant').textContent()).toContain(tenantId);
    // The code and state are gone from the address bar, and the tokens are not in the URL.
    expect(page.url()).toBe(portal());
    const stored = (await page.evaluate("JSON.parse(sessionStorage.getItem('pinreset.portal.session'))")) as { accessToken: string };
    expect(stored.accessToken.split('.')).toHaveLength(3);
    await eventually(() => page.locator('[data-testid="onboarding-state"]').textContent()).toContain('notStarted');
    await checkPage('overview-not-onboarded');
  });

  it('onboards the tenant from the overview and comes back to the admin center', async () => {
    const onboard = page.locator('a', { hasText: 'Onboard this tenant' });
    expect(await onboard.getAttribute('href')).toBe(`${host.url}/onboarding/start?tenant=${tenantId}`);
    await Promise.all([page.waitForNavigation(), onboard.click()]);
    // Sign-in, both consents, the success page, and its link back to the admin center.
    await completeAuthorityPages(page, admin, portal());
    expect(page.url()).toBe(portal());
    await eventually(() => page.locator('[data-testid="onboarding-state"]').textContent(), { timeout: 15_000 }).toContain('active');
    await eventually(() => page.locator('#policy-title').count()).toBe(1);
    expect(await page.locator('pre').first().textContent()).toContain('DeviceManagementConfiguration.ReadWrite.All');
    expect(await page.locator('table').nth(1).textContent()).toContain('Use PIN Recovery');
    // A character class's integer says what it means (the default tenant: digits required, letters disallowed).
    expect(await page.locator('table').nth(1).textContent()).toContain('1 (required)');
    expect(await page.locator('table').nth(1).textContent()).toContain('2 (disallowed)');
    const [download] = await Promise.all([page.waitForEvent('download'), button('Download pin-recovery-policy.json').click()]);
    const policy = JSON.parse(await readFile(await download.path(), 'utf8')) as { '@odata.type': string; omaSettings: { omaUri: string }[] };
    expect(policy['@odata.type']).toBe('#microsoft.graph.windows10CustomConfiguration');
    expect(policy.omaSettings.map((setting) => setting.omaUri)).toContain(`./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies/EnablePinRecovery`);
    await button('Verify now').click();
    await eventually(() => page.locator('fluent-message-bar[intent="success"]').textContent()).toContain('Verified both applications');
    await checkPage('overview');
  });

  it('changes settings: refuses what the API refuses, saves with If-Match, and explains a 412', async () => {
    await page.locator('nav a', { hasText: 'Settings' }).click();
    await eventually(() => page.locator('#pin-min').count()).toBe(1);
    const maximumField = await page.locator('#pin-max').boundingBox();
    await page.fill('#pin-min', '3');
    await page.fill('#web-sign-in', 'https://signin.contoso.com/path');
    await button('Save settings').click();
    // In the page's words, not the API's property path; under the row, so the field beside it stays put.
    expect(await page.locator('#error-pinComplexity-pinMinimumLength').textContent()).toBe('Minimum length must be at least 4.');
    expect(await page.locator('#pin-max').boundingBox()).toEqual(maximumField);
    expect(await page.locator('#error-webSignInAllowedUrls').textContent()).toContain('host name');
    expect(await page.locator('#pin-min').getAttribute('aria-invalid')).toBe('true');
    await checkPage('settings-invalid');
    await page.fill('#pin-min', '20');
    await page.fill('#pin-max', '10');
    await button('Save settings').click();
    expect(await page.locator('#error-pinComplexity-pinMinimumLength').textContent()).toBe('Minimum length (20) must not be greater than Maximum length (10).');
    await page.fill('#pin-max', '127');

    await page.fill('#pin-min', '8');
    await page.fill('#web-sign-in', 'signin.contoso.com');
    await button('Save settings').click();
    await eventually(() => page.locator('fluent-message-bar[intent="success"]').textContent()).toContain('Settings saved');

    // Someone else saves in between: this form's ETag is stale.
    const other = await fetch(`${host.url}/v1.0/organization/${tenantId}/pinResetSettings`, {
      method: 'PATCH',
      headers: { ...bearer(await adminToken(tenantId)), 'Content-Type': 'application/json' },
      body: JSON.stringify({ protectorKeyRotationDays: 180 }),
    });
    expect(other.status).toBe(200);
    await page.fill('#rotation', '90');
    await button('Save settings').click();
    await eventually(() => page.locator('fluent-message-bar[intent="error"]').textContent()).toContain('412');
    expect(await page.locator('fluent-message-bar[intent="error"]').textContent()).toMatch(/Request id: [0-9a-f-]{36}/);
    expect(await page.locator('fluent-message-bar[intent="error"]').textContent()).toContain('Someone else changed these settings');
    await checkPage('settings-412');
    await button('Reload settings').click();
    await eventually(() => page.locator('#rotation').inputValue()).toBe('180');
    expect(await page.locator('#pin-min').inputValue()).toBe('8');
    await page.locator('details.explain summary').click();
    expect(await page.locator('details.explain').textContent()).toContain('stricter than these settings');
    await checkPage('settings');
  });

  it('shows the device the agent enrolled, resets its passcode and follows it live until the agent completes it', async () => {
    // Before any enrolment: the empty list says what makes a device appear (the agent, not the client policy).
    await page.locator('nav a', { hasText: 'Devices' }).click();
    await eventually(() => page.locator('.empty h2').textContent()).toBe('No devices yet');
    expect(await page.locator('.empty p').textContent()).toContain('pinreset-agent enroll, with PINRESET_URL set to');
    expect(await page.locator('.empty p').textContent()).toContain('The client policy does not do that');
    await agentLogin({ displayName: 'Diego Siciliani', userPrincipalName: `diego@${tenantId.slice(0, 8)}.example`, tenantId, roles: [] });
    const enroll = await agent(['enroll', '--device-name', 'CONTOSO-LT-7', '--json']);
    expect(enroll.code, enroll.stderr).toBe(0);
    managedDeviceId = (JSON.parse(await readFile(deviceEnv.PINRESET_AGENT_STATE ?? '', 'utf8')) as { device: { id: string } }).device.id;
    // Still on the (empty) Devices page: clicking Devices again, as a person would, reads the list afresh.
    await page.locator('nav a', { hasText: 'Devices' }).click();
    await eventually(() => page.locator('table.devices a', { hasText: 'CONTOSO-LT-7' }).count()).toBe(1);
    await checkPage('devices');

    await page.fill('#device-search', 'NO-SUCH-PC');
    await page.press('#device-search', 'Enter');
    await eventually(() => page.locator('.empty h2').textContent()).toBe('No device matches');
    expect(page.url()).toBe(portal('devices?search=NO-SUCH-PC'));
    await page.fill('#device-search', 'CONTOSO-LT-7');
    await page.selectOption('#device-join', 'azureADJoined');
    await button('Apply').click();
    await eventually(() => page.locator('table.devices a', { hasText: 'CONTOSO-LT-7' }).count()).toBe(1);

    await page.locator('table.devices a', { hasText: 'CONTOSO-LT-7' }).click();
    await eventually(() => page.locator('h1').textContent()).toBe('CONTOSO-LT-7');
    expect(page.url()).toBe(portal(`devices/${managedDeviceId}`));
    expect(await page.locator('dl.facts').textContent()).toContain('Microsoft Entra joined');
    expect(await page.locator('dl.facts').textContent()).toContain('DestructiveAndNonDestructive');
    expect(await page.locator('.empty').textContent()).toContain('No passcode reset');
    await checkPage('device');

    await button('Reset passcode…').click();
    expect(await page.locator('pr-confirm').textContent()).toContain('generates a new passcode');
    await button('Reset passcode').click();
    await eventually(() => page.locator('[data-testid="action-state"]').first().textContent()).toContain('pending');
    expect(await page.locator('.passcode').first().textContent()).toContain('••••••••');
    await checkPage('device-reset-pending');

    const poll = await agent(['poll']);
    expect(poll.code, poll.stdout + poll.stderr).toBe(0);
    // The page follows the action by itself: no reload.
    await eventually(() => page.locator('[data-testid="action-state"]').first().textContent(), { timeout: 15_000 }).toContain('done');
  });

  it('reveals the passcode only after a reason, and the audit log shows passcodeRevealed with it', async () => {
    await button('Reveal…').first().click();
    const reveal = button('Reveal passcode');
    expect(await reveal.getAttribute('disabled')).not.toBeNull();
    await page.getByLabel('Reason for revealing the passcode').fill('Ticket 4711: user locked out');
    await reveal.click();
    await eventually(() => page.locator('[data-testid="passcode"]').count()).toBe(1);
    expect(await page.locator('[data-testid="passcode"]').textContent()).toMatch(/^\d{8,}$/);
    await checkPage('device-revealed');

    await page.locator('nav a', { hasText: 'Audit' }).click();
    await page.selectOption('#audit-activity', 'passcodeRevealed');
    await button('Apply').click();
    await eventually(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(0);
    const row = await page.locator('table.audit tbody tr').first().textContent();
    expect(row).toContain('passcodeRevealed');
    expect(row).toContain('Ticket 4711');
    expect(page.url()).toContain('activity=passcodeRevealed');
  });

  it("shows a reset the device's stricter PIN policy refused, with the settings link that fixes it", async () => {
    await page.goto(portal(`devices/${managedDeviceId}`));
    await eventually(() => page.locator('h1').textContent()).toBe('CONTOSO-LT-7');
    await button('Reset passcode…').click();
    await button('Reset passcode').click();
    await eventually(() => page.locator('[data-testid="action-state"]').first().textContent()).toContain('pending');
    // This device requires lowercase letters; the tenant disallows them, so the passcode has none.
    const poll = await agent(['poll', '--lowercase', 'required']);
    expect(poll.code, poll.stdout + poll.stderr).toBe(6);
    await eventually(() => page.locator('[data-testid="action-state"]').first().textContent(), { timeout: 15_000 }).toContain('failed');
    const failure = page.locator('.failure').first();
    expect(await failure.textContent()).toContain('InvalidPinMissingRequiredCharacters');
    expect(await failure.textContent()).toContain('Open the settings to require the character class the device requires, then reset again.');
    await checkPage('device-reset-failed');
    await failure.locator('a', { hasText: 'Open the settings' }).click();
    await eventually(() => page.url()).toBe(portal('settings'));
  });

  it('rotates the key, then retires the old one behind a typed confirmation that shows its device count', async () => {
    await page.locator('nav a', { hasText: 'Keys' }).click();
    await eventually(() => page.locator('table.keys tbody tr').count()).toBe(1);
    await button('Rotate key…').click();
    await button('Rotate').click();
    await eventually(() => page.locator('table.keys tbody tr').count()).toBe(2);
    const old = page.locator('table.keys tbody tr', { hasText: 'decryptOnly' });
    const kid = (await old.getAttribute('data-kid')) ?? '';
    // The count the page shows is the service's deviceCount for that key version.
    const versions = (await (
      await fetch(`${host.url}/v1.0/organization/${tenantId}/pinResetProtectorKeys/versions`, { headers: bearer(await adminToken(tenantId)) })
    ).json()) as { value: { kid: string; deviceCount: number }[] };
    const deviceCount = versions.value.find((version) => version.kid === kid)?.deviceCount;
    expect(deviceCount).toBeTypeOf('number');
    expect((await old.locator('[data-testid="device-count"]').textContent())?.trim()).toBe(String(deviceCount));
    await checkPage('keys');

    await button('Retire…', old).click();
    const confirm = page.locator('pr-confirm');
    expect(await confirm.textContent()).toContain(
      `${deviceCount} enrolled device${deviceCount === 1 ? ' still holds' : 's still hold'} a protector under this key`,
    );
    const retire = button('Retire key');
    expect(await retire.getAttribute('disabled')).not.toBeNull();
    await confirm.locator('input').fill('wrong');
    expect(await retire.getAttribute('disabled')).not.toBeNull();
    await checkPage('keys-retire-confirm');
    await confirm.locator('input').fill(kid.slice(0, 8));
    await retire.click();
    await eventually(() => page.locator(`table.keys tbody tr[data-kid="${kid}"]`).textContent()).toContain('retired');
  });

  it('filters the audit log by activity, result and time, pages it and exports CSV', async () => {
    await page.goto(portal('audit'));
    await eventually(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(5);
    await checkPage('audit');
    await page.selectOption('#audit-activity', 'protectorKeyRetired');
    await page.selectOption('#audit-result', 'success');
    await button('Apply').click();
    await eventually(() => page.locator('table.audit tbody tr').count()).toBe(1);
    expect(await page.locator('table.audit tbody tr').textContent()).toContain('protectorKeyRetired');

    await page.fill('#audit-from', '2999-01-01T00:00');
    await button('Apply').click();
    await eventually(() => page.locator('.empty h2').textContent()).toBe('No events');
    await checkPage('audit-empty');

    await page.goto(portal('audit?activity=passcodeRevealed'));
    await eventually(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), button('Export CSV').click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\r\n')[0]).toBe('activityDateTime,activity,result,resultReason,initiatedBy,targetResources,correlationId,id');
    expect(csv).toContain('"passcodeRevealed"');
    expect(csv).not.toContain('"protectorKeyRetired"');
  });

  it('works with the keyboard alone: skip link, navigation, search, and a device opened with Enter', async () => {
    const focused = () =>
      page.evaluate("(() => { const e = document.activeElement; return e ? (e.id || e.textContent || '').trim() : ''; })()") as Promise<string>;
    async function tabTo(wanted: string): Promise<void> {
      for (let presses = 0; presses < 40; presses += 1) {
        await page.keyboard.press('Tab');
        if ((await focused()) === wanted) return;
      }
      throw new Error(`Tab never reached ${wanted}`);
    }
    await page.goto(portal());
    await eventually(() => page.locator('[data-testid="onboarding-state"]').count()).toBe(1);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await tabTo('Devices');
    await page.keyboard.press('Enter');
    await eventually(() => page.url()).toBe(portal('devices'));
    await tabTo('device-search');
    await page.keyboard.type('CONTOSO-LT-7');
    await page.keyboard.press('Enter');
    await eventually(() => page.url()).toBe(portal('devices?search=CONTOSO-LT-7'));
    await tabTo('CONTOSO-LT-7');
    await page.keyboard.press('Enter');
    await eventually(() => page.url()).toBe(portal(`devices/${managedDeviceId}`));
    await tabTo('Reset passcode…');
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('pr-confirm').count()).toBe(1);
    // The confirmation takes the focus, so Escape-free keyboard users land on its first control.
    expect(await focused()).toBe('Reset passcode');
    await tabTo('Cancel');
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('pr-confirm').count()).toBe(0);
  });

  it("keeps the admin's place when the access token has expired (refresh) and after sign-out asks to sign in again", async () => {
    await page.goto(portal(`devices/${managedDeviceId}`));
    await eventually(() => page.locator('h1').textContent()).toBe('CONTOSO-LT-7');
    await page.evaluate(
      "(() => { const s = JSON.parse(sessionStorage.getItem('pinreset.portal.session')); s.expiresAt = 0; sessionStorage.setItem('pinreset.portal.session', JSON.stringify(s)); })()",
    );
    const before = (await page.evaluate("JSON.parse(sessionStorage.getItem('pinreset.portal.session')).accessToken")) as string;
    await page.reload();
    await eventually(() => page.locator('h1').textContent()).toBe('CONTOSO-LT-7');
    expect(page.url()).toBe(portal(`devices/${managedDeviceId}`));
    const after = (await page.evaluate("JSON.parse(sessionStorage.getItem('pinreset.portal.session')).accessToken")) as string;
    expect(after).not.toBe(before);

    await button('Sign out').click();
    await eventually(() => page.locator('main').textContent()).toContain('You are signed out');
    expect(await page.evaluate("sessionStorage.getItem('pinreset.portal.session')")).toBeNull();
  });

  it('refuses a user without an admin role with a page that says which roles are needed', async () => {
    const userContext = await running.browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const userPage = await userContext.newPage();
    const problems = watchConsole(userPage);
    const adminPage = page;
    page = userPage;
    try {
      await userPage.goto(portal('keys'));
      await Promise.all([userPage.waitForURL((url) => url.pathname.startsWith('/dev/login/')), button('Sign in', userPage).click()]);
      await completeAuthorityPages(
        userPage,
        { displayName: 'Megan Bowen', userPrincipalName: `megan@${tenantId.slice(0, 8)}.example`, tenantId, roles: [] },
        portal(),
      );
      await eventually(() => userPage.locator('h1').textContent()).toBe('You are not an administrator of this tenant');
      const text = await userPage.locator('main').textContent();
      expect(text).toContain('Global Administrator');
      expect(text).toContain('PinReset.Administrator');
      expect(text).toContain('Megan Bowen');
      expect(await userPage.locator('nav.side-nav').count()).toBe(0);
      await checkPage('not-admin');
      expect(problems.filter((problem) => !/status of 403/.test(problem))).toEqual([]);
    } finally {
      page = adminPage;
      await userContext.close();
    }
  });

  it('offboards only after the typed confirmation that names the consequence, and offers onboarding again', async () => {
    // Signed out by the step before: sign in again (the authority offers the account already used).
    await page.goto(portal());
    await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/dev/login/')), button('Sign in').click()]);
    await completeAuthorityPages(page, admin, portal());
    await eventually(() => page.locator('[data-testid="onboarding-state"]').textContent()).toContain('active');
    await button('Offboard…').click();
    const confirm = page.locator('pr-confirm');
    expect(await confirm.textContent()).toContain("destroys this tenant's protector keys");
    const offboard = button('Offboard and destroy keys');
    expect(await offboard.getAttribute('disabled')).not.toBeNull();
    await checkPage('overview-offboard-confirm');
    await confirm.locator('input').fill('offboard');
    await offboard.click();
    await eventually(() => page.locator('[data-testid="onboarding-state"]').textContent()).toContain('offboarded');
    expect(await page.locator('fluent-message-bar[intent="success"]').textContent()).toContain('protector keys are destroyed');
    expect(await page.locator('a', { hasText: 'Onboard this tenant' }).count()).toBe(1);
  });

  it('logged no CSP refusal and no script error on any page', () => {
    expect(consoleProblems.filter((problem) => !/status of (404|409|412)/.test(problem))).toEqual([]);
  });
});
