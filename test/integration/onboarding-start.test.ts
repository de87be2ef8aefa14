import { afterEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, randomTenantId } from '../support/tokens.js';

useSimulatedMicrosoft();
afterEach(() => setServices(undefined));

async function start(tid: string): Promise<URL> {
  const response = await invoke('GET', `/onboarding/start?tenant=${tid}`);
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

async function status(tid: string) {
  const response = await invoke('GET', `/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return response.json();
}

async function auditActivities(tid: string): Promise<string[]> {
  const response = await invoke('GET', '/v1.0/auditLogs/pinResetEvents', { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return response.json().value.map((event: { activity: string }) => event.activity);
}

function callback(consent: URL, query: Record<string, string>) {
  const params = new URLSearchParams({ state: consent.searchParams.get('state')!, ...query });
  return invoke('GET', `/onboarding/callback?${params}`);
}

describe('GET /onboarding/start (anonymous)', () => {
  it('creates no tenant record and no audit event: only the expiring state, which the status reports as serviceConsentPending', async () => {
    const tid = randomTenantId();
    await start(tid);
    await start(tid);
    expect(await getServices().tenants.get(tid)).toBeUndefined();
    expect(await auditActivities(tid)).toEqual([]);
    expect(await status(tid)).toMatchObject({ state: 'serviceConsentPending', failure: null, lastVerifiedDateTime: null });

    setServices(new Services(getConfig(), { clock: () => new Date(Date.now() + 10 * 60_000 + 1_000) }));
    expect((await status(tid)).state).toBe('notStarted');
    expect(await getServices().tenants.get(tid)).toBeUndefined();
  });

  it('creates the tenant record with the first callback, and audits the start then', async () => {
    const tid = randomTenantId();
    const consent = await start(tid);
    const response = await callback(consent, { admin_consent: 'True', tenant: tid });
    expect(response.status).toBe(302);
    expect((await getServices().tenants.get(tid))?.value.onboardingState).toBe('clientConsentPending');
    expect(await status(tid)).toMatchObject({ state: 'clientConsentPending', serviceApplication: { consented: true } });
    expect(await auditActivities(tid)).toEqual(expect.arrayContaining(['onboardingStarted', 'serviceConsentGranted']));
  });

  it('reports a new start of a failed tenant as serviceConsentPending without the old failure, and the failure again once the link expired', async () => {
    const tid = randomTenantId();
    expect((await callback(await start(tid), { error: 'access_denied', error_description: 'AADSTS65004: declined' })).status).toBe(400);
    expect((await status(tid)).failure.code).toBe('ConsentDenied');

    await start(tid);
    expect(await status(tid)).toMatchObject({ state: 'serviceConsentPending', failure: null });
    expect((await getServices().tenants.get(tid))?.value.onboardingState).toBe('failed');

    setServices(new Services(getConfig(), { clock: () => new Date(Date.now() + 10 * 60_000 + 1_000) }));
    expect(await status(tid)).toMatchObject({ state: 'failed', failure: { code: 'ConsentDenied' } });
  });

  it('leaves an offboarded tenant offboarded until the admin comes back, then records the outcome', async () => {
    const tid = randomTenantId();
    const consent = await start(tid);
    expect((await callback(consent, { admin_consent: 'True', tenant: tid })).status).toBe(302);
    expect((await invoke('DELETE', `/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(tid)) })).status).toBe(204);
    expect((await status(tid)).state).toBe('offboarded');

    const again = await start(tid);
    expect((await status(tid)).state).toBe('serviceConsentPending');
    expect((await callback(again, { error: 'access_denied' })).status).toBe(400);
    expect(await status(tid)).toMatchObject({ state: 'failed', failure: { code: 'ConsentDenied' } });
  });
});
