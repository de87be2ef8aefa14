import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ConsentDecision } from '../../cli/client/onboarding.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { DevBrowser, htmlToText, type DevLoginUser, type Page } from '../../shared/dev/login-browser.js';
import type { LocalHostHandle } from './local-host.js';

/**
 * Step-by-step onboarding over HTTP for tests that look at (or interfere with) each hop. A
 * `DevBrowser` is the administrator's browser: it keeps the onboarding cookie and fills the
 * development authority's pages; the whole walk is the client library's `walkOnboarding`.
 */

/** Path and query of an absolute URL on the local host. */
export function pathOf(location: string): string {
  const url = new URL(location);
  return `${url.pathname}${url.search}`;
}

export function locationOf(response: Response): string {
  expect(response.status).toBe(302);
  const location = response.headers.get('location');
  if (!location) throw new Error('302 without Location');
  return location;
}

/** A Global Administrator of the simulated directory (a new UPN each time unless given). */
export function tenantAdmin(extra: Partial<DevLoginUser> = {}): DevLoginUser {
  return {
    userPrincipalName: `admin-${randomUUID().slice(0, 8)}@contoso.test`,
    displayName: 'Adele Admin',
    directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator],
    ...extra,
  };
}

const isConsentPage = (url: URL) => /\/v2\.0\/adminconsent$/i.test(url.pathname);
const isCallback = (url: URL) => url.pathname === '/onboarding/callback';

/** start → sign in as `user` (default: a Global Administrator) → the page where that ends. */
export async function signIn(
  host: LocalHostHandle,
  tenant: string,
  options: { browser?: DevBrowser; user?: DevLoginUser } = {},
): Promise<{ browser: DevBrowser; page: Page }> {
  const browser = options.browser ?? new DevBrowser();
  const page = await browser.run(`${host.url}/onboarding/start?tenant=${encodeURIComponent(tenant)}`, { user: options.user ?? tenantAdmin() }, isConsentPage);
  return { browser, page };
}

/** start → sign in → answers the service app's admin consent URL (unvisited) and the browser. */
export async function signInToConsent(
  host: LocalHostHandle,
  tenant: string,
  options: { browser?: DevBrowser; user?: DevLoginUser } = {},
): Promise<{ browser: DevBrowser; consentUrl: string }> {
  const { browser, page } = await signIn(host, tenant, options);
  if (page.status !== 302) throw new Error(`the sign-in did not reach the consent page (${page.status}): ${htmlToText(page.html).slice(0, 300)}`);
  return { browser, consentUrl: page.url };
}

/** Opens the (simulated) consent page at `consentUrl` in `browser` and presses Accept or Cancel; answers the callback URL, unvisited. */
export async function decide(browser: DevBrowser, consentUrl: string, decision: ConsentDecision): Promise<string> {
  const page = await browser.run(consentUrl, { user: tenantAdmin(), adminConsent: [decision] }, isCallback);
  if (page.status !== 302) throw new Error(`the consent page did not redirect (${page.status})`);
  return page.url;
}

/** start → sign in → service consent → Accept → callback: answers the client app's consent URL and the browser. */
export async function throughServiceConsent(host: LocalHostHandle, tenant: string): Promise<{ browser: DevBrowser; clientConsentUrl: string }> {
  const { browser, consentUrl } = await signInToConsent(host, tenant);
  const callback = await decide(browser, consentUrl, 'accept');
  return { browser, clientConsentUrl: locationOf(await browser.request(callback)) };
}
