import { expect } from 'vitest';
import { findConsentForm, type ConsentDecision } from '../../cli/client/onboarding.js';
import type { LocalHostHandle } from './local-host.js';

/**
 * Step-by-step onboarding over HTTP for tests that look at (or interfere with) each hop; the whole
 * walk is the client library's `walkOnboarding`, which reads consent pages with the same parser.
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

/** Opens the (simulated) consent page at `consentUrl` and presses Accept or Cancel; answers the 302 back. */
export async function decide(host: LocalHostHandle, consentUrl: string, decision: ConsentDecision): Promise<string> {
  const page = await host.request(pathOf(consentUrl));
  expect(page.status).toBe(200);
  const form = findConsentForm(await page.text(), consentUrl);
  if (!form) throw new Error('consent page has no form');
  const response = await host.request(pathOf(form.action), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.fields, decision }).toString(),
  });
  return locationOf(response);
}

/** start → service consent → Accept → callback: answers the client app's consent URL. */
export async function throughServiceConsent(host: LocalHostHandle, tenant: string): Promise<string> {
  const consentUrl = locationOf(await host.request(`/onboarding/start?tenant=${encodeURIComponent(tenant)}`));
  const callback = await decide(host, consentUrl, 'accept');
  return locationOf(await host.request(pathOf(callback)));
}
