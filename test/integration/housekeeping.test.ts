import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services } from '../../shared/wiring.js';
import { randomTenantId } from '../support/tokens.js';

// Expiries are relative to the real time: the Azurite is shared with concurrently running tests, and
// a purge never deletes a row another test could still need.
const now = new Date();
const services = new Services(getConfig(), { clock: () => now });
const minutes = (count: number) => new Date(now.getTime() + count * 60_000);

async function issueState(tenantId: string, expires: Date): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  await services.onboardingStates.create(state, {
    step: 'service',
    tenantId,
    requestedTenant: tenantId,
    createdDateTime: minutes(-20).toISOString(),
    expiresDateTime: expires.toISOString(),
  });
  return state;
}

async function counterExists(partition: string, row: string): Promise<boolean> {
  return (await services.rateLimits.read({ partition, row })) !== undefined;
}

describe('housekeeping', () => {
  it('deletes onboarding states past their expiry, used or not, and keeps the ones still valid', async () => {
    const tenantId = randomTenantId();
    const expired = await issueState(tenantId, minutes(-1));
    const usedThenExpired = await issueState(tenantId, minutes(-2));
    expect((await services.onboardingStates.consume(usedThenExpired, minutes(-5))).outcome).toBe('consumed');
    const fresh = await issueState(tenantId, minutes(10));
    const usedFresh = await issueState(tenantId, minutes(10));
    expect((await services.onboardingStates.consume(usedFresh, now)).outcome).toBe('consumed');

    const report = await services.housekeeping.run();
    expect(report.onboardingStates).toBeGreaterThanOrEqual(2);

    expect((await services.onboardingStates.consume(expired, now)).outcome).toBe('unknown');
    expect((await services.onboardingStates.consume(usedThenExpired, now)).outcome).toBe('unknown');
    expect((await services.onboardingStates.consume(usedFresh, now)).outcome).toBe('used');
    expect((await services.onboardingStates.consume(fresh, now)).outcome).toBe('consumed');
  });

  it('deletes rate-limit counters of ended windows in batches (more than 100 in one tenant) and leaves current windows and other tenants alone', async () => {
    const tenant = randomTenantId();
    const other = randomTenantId();
    const ended = Array.from({ length: 130 }, (_, index) => `user_u${index}_${Math.floor(minutes(-60).getTime() / 1000)}`);
    for (let start = 0; start < ended.length; start += 26) {
      await Promise.all(ended.slice(start, start + 26).map((row) => services.rateLimits.create({ partition: tenant, row }, 3, minutes(-1))));
    }
    const current = `tenant_all_${Math.floor(now.getTime() / 1000)}`;
    await services.rateLimits.create({ partition: tenant, row: current }, 1, minutes(5));
    await services.rateLimits.create({ partition: other, row: current }, 1, minutes(5));

    const report = await services.housekeeping.run();
    expect(report.rateLimitCounters).toBeGreaterThanOrEqual(ended.length);

    for (const row of [ended[0]!, ended[99]!, ended[100]!, ended.at(-1)!]) expect(await counterExists(tenant, row)).toBe(false);
    expect(await counterExists(tenant, current)).toBe(true);
    expect(await counterExists(other, current)).toBe(true);
  });

  it('finishes when a concurrent run deleted the same rows first', async () => {
    const tenant = randomTenantId();
    const rows = Array.from({ length: 5 }, (_, index) => `user_c${index}_1`);
    await Promise.all(rows.map((row) => services.rateLimits.create({ partition: tenant, row }, 1, minutes(-1))));
    const reports = await Promise.all([services.housekeeping.run(), services.housekeeping.run()]);
    for (const report of reports) expect(report.rateLimitCounters).toBeGreaterThanOrEqual(0);
    for (const row of rows) expect(await counterExists(tenant, row)).toBe(false);
  });
});
