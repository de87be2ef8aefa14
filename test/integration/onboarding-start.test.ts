import { afterEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { decide, locationOf, signInToConsent } from '../support/onboarding-browser.js';
import { adminToken, bearer, randomTenantId } from '../support/tokens.js';

useSimulatedMicrosoft();
const host = useLocalHost();
afterEach(() => setServices(undefined));

async function status(tid: string) {
  const response = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return response.json() as Promise<{
    state: string;
    failure: { code: string } | null;
    lastVerifiedDateTime: string | null;
    serviceApplication: { consented: boolean };
  }>;
}

async function auditActivities(tid: string): Promise<string[]> {
  const response = await host.request('/v1.0/auditLogs/pinResetEvents', { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: { activity: string }[] }).value.map((event) => event.activity);
}

describe('GET /onboarding/start (anonymous)', () => {
  it('writes only an expiring sign-in state: no tenant record, no audit event, the status stays notStarted', async () => {
    const tid = randomTenantId();
    expect(locationOf(await host.request(`/onboarding/start?tenant=${tid}`))).toContain('/oauth2/v2.0/authorize');
    expect(locationOf(await host.request(`/onboarding/start?tenant=${tid}`))).toContain('/oauth2/v2.0/authorize');
    expect(await getServices().tenants.get(tid)).toBeUndefined();
    expect(await auditActivities(tid)).toEqual([]);
    expect(await status(tid)).toMatchObject({ state: 'notStarted', failure: null, lastVerifiedDateTime: null });
  });

  it('after the admin signed in, the status reports serviceConsentPending while the consent link is usable, notStarted once it expired', async () => {
    const tid = randomTenantId();
    await signInToConsent(host, tid);
    expect(await getServices().tenants.get(tid)).toBeUndefined();
    expect(await auditActivities(tid)).toEqual(['onboardingStarted']);
    expect(await status(tid)).toMatchObject({ state: 'serviceConsentPending', failure: null, lastVerifiedDateTime: null });

    setServices(new Services(getConfig(), { clock: () => new Date(Date.now() + 10 * 60_000 + 1_000) }));
    expect((await status(tid)).state).toBe('notStarted');
    expect(await getServices().tenants.get(tid)).toBeUndefined();
  });

  it('creates the tenant record with the first consent callback', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const response = await browser.request(await decide(browser, consentUrl, 'accept'));
    expect(response.status).toBe(302);
    expect((await getServices().tenants.get(tid))?.value.onboardingState).toBe('clientConsentPending');
    expect(await status(tid)).toMatchObject({ state: 'clientConsentPending', serviceApplication: { consented: true } });
    expect(await auditActivities(tid)).toEqual(expect.arrayContaining(['onboardingStarted', 'serviceConsentGranted']));
  });

  it('reports a new signed-in start of a failed tenant as serviceConsentPending without the old failure, and the failure again once the link expired', async () => {
    const tid = randomTenantId();
    const first = await signInToConsent(host, tid);
    expect((await first.browser.request(await decide(first.browser, first.consentUrl, 'cancel'))).status).toBe(400);
    expect((await status(tid)).failure?.code).toBe('ConsentDenied');

    await signInToConsent(host, tid);
    expect(await status(tid)).toMatchObject({ state: 'serviceConsentPending', failure: null });
    expect((await getServices().tenants.get(tid))?.value.onboardingState).toBe('failed');

    setServices(new Services(getConfig(), { clock: () => new Date(Date.now() + 10 * 60_000 + 1_000) }));
    expect(await status(tid)).toMatchObject({ state: 'failed', failure: { code: 'ConsentDenied' } });
  });

  it('leaves an offboarded tenant offboarded until a signed-in admin comes back, then records the outcome', async () => {
    const tid = randomTenantId();
    const first = await signInToConsent(host, tid);
    expect((await first.browser.request(await decide(first.browser, first.consentUrl, 'accept'))).status).toBe(302);
    expect((await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { method: 'DELETE', headers: bearer(await adminToken(tid)) })).status).toBe(204);
    expect((await status(tid)).state).toBe('offboarded');

    await host.request(`/onboarding/start?tenant=${tid}`);
    expect((await status(tid)).state).toBe('offboarded');
    const again = await signInToConsent(host, tid);
    expect((await status(tid)).state).toBe('serviceConsentPending');
    expect((await again.browser.request(await decide(again.browser, again.consentUrl, 'cancel'))).status).toBe(400);
    expect(await status(tid)).toMatchObject({ state: 'failed', failure: { code: 'ConsentDenied' } });
  });
});
