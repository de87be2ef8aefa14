import { randomUUID } from 'node:crypto';
import type { InvocationContext, Timer } from '@azure/functions';
import type { Services } from '../shared/wiring.js';

/** Daily at 03:00 UTC: tenants whose current protector key is older than their protectorKeyRotationDays get a new one. */
export const KEY_ROTATION_SCHEDULE = '0 0 3 * * *';

/** The timer's work, callable directly (tests inject a clock through `services`). */
export async function runKeyRotation(services: Services, correlationId: string = randomUUID()): Promise<string[]> {
  // Loaded here, not when functions/index.ts registers the timer (cold start).
  const [{ isTenantActive }, { tenantSettingsOrDefaults }] = await Promise.all([
    import('../shared/domain/tenant.js'),
    import('../shared/services/active-tenant.js'),
  ]);
  return services.protectorKeys.rotateDueKeys({
    rotationDaysOf: async (tenantId) => (await tenantSettingsOrDefaults(services.tenantSettings, tenantId)).protectorKeyRotationDays,
    isActive: async (tenantId) => isTenantActive((await services.tenants.get(tenantId))?.value),
    correlationId,
  });
}

export async function keyRotationTimer(_timer: Timer, invocation: InvocationContext): Promise<void> {
  // Loaded here, not at import time (cold start), as the HTTP functions do.
  const { getServices } = await import('../shared/wiring.js');
  const rotated = await runKeyRotation(getServices(), invocation.invocationId);
  invocation.log(`protector key rotation: ${rotated.length} tenant key(s) rotated`);
}
