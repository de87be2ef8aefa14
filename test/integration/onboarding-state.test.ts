import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { OnboardingStateRepository } from '../../shared/storage/onboarding-state-repository.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { randomTenantId } from '../support/tokens.js';

const repository = new OnboardingStateRepository(new TableStore(getConfig().storage));
const now = new Date();
const row = (tenantId: string, expires = new Date(now.getTime() + 600_000)) => ({
  step: 'service' as const,
  tenantId,
  requestedTenant: tenantId,
  createdDateTime: now.toISOString(),
  expiresDateTime: expires.toISOString(),
});

describe('OnboardingStateRepository', () => {
  it('consumes a state exactly once, even when many consumers race', async () => {
    const state = randomBytes(32).toString('base64url');
    await repository.create(state, row(randomTenantId()));
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => repository.consume(state, now)));
    expect(outcomes.filter((outcome) => outcome.outcome === 'consumed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.outcome === 'used')).toHaveLength(7);
  });

  it('tells unknown and expired states apart', async () => {
    expect((await repository.consume(randomBytes(32).toString('base64url'), now)).outcome).toBe('unknown');
    const state = randomBytes(32).toString('base64url');
    await repository.create(state, row(randomTenantId(), new Date(now.getTime() - 1)));
    expect((await repository.consume(state, now)).outcome).toBe('expired');
  });
});
