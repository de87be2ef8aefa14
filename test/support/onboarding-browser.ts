import { expect } from 'vitest';
import type { LocalHostHandle } from './local-host.js';

/** Drives the onboarding pages over HTTP the way a browser does (redirects followed by hand). */

export function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
}

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

/** Opens the (simulated) consent page at `consentUrl` and presses Accept or Cancel; answers the 302 back. */
export async function decide(host: LocalHostHandle, consentUrl: string, decision: 'accept' | 'cancel'): Promise<string> {
  const page = await host.request(pathOf(consentUrl));
  expect(page.status).toBe(200);
  const text = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(text)?.[1];
  if (!action) throw new Error('consent page has no form');
  const response = await host.request(unescapeHtml(action), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `decision=${decision}`,
  });
  return locationOf(response);
}

/** start → service consent → Accept → callback: answers the client app's consent URL. */
export async function throughServiceConsent(host: LocalHostHandle, tenant: string): Promise<string> {
  const consentUrl = locationOf(await host.request(`/onboarding/start?tenant=${encodeURIComponent(tenant)}`));
  const callback = await decide(host, consentUrl, 'accept');
  return locationOf(await host.request(pathOf(callback)));
}

/** The whole flow up to the final callback response. */
export async function onboard(host: LocalHostHandle, tenant: string): Promise<Response> {
  const clientConsent = await throughServiceConsent(host, tenant);
  const callback = await decide(host, clientConsent, 'accept');
  return host.request(pathOf(callback));
}
