import { randomUUID } from 'node:crypto';
import type { InvocationContext, Timer } from '@azure/functions';
import type { Services } from '../shared/wiring.js';

/** Every 15 minutes: passcodes older than 7 days are erased; expired assertion jtis are purged. */
export const PASSCODE_EXPIRY_SCHEDULE = '0 */15 * * * *';

/**
 * The timer's work, callable directly (tests inject a clock through `services`). With a tenant id it
 * sweeps that tenant's passcodes only and leaves the (tenant-less) jti store alone.
 */
export async function runPasscodeExpiry(
  services: Services,
  options: { correlationId?: string; tenantId?: string } = {},
): Promise<{ erased: number; purgedJtis: number }> {
  const correlationId = options.correlationId ?? randomUUID();
  const erased = await services.passcodeReset.expirePasscodes(correlationId, options.tenantId === undefined ? {} : { tenantId: options.tenantId });
  const purgedJtis = options.tenantId === undefined ? await services.deviceAssertionJtis.purgeExpired(services.clock()) : 0;
  return { erased, purgedJtis };
}

export async function passcodeExpiryTimer(_timer: Timer, invocation: InvocationContext): Promise<void> {
  // Loaded here, not at import time (cold start), as the HTTP functions do.
  const { getServices } = await import('../shared/wiring.js');
  const { erased, purgedJtis } = await runPasscodeExpiry(getServices(), { correlationId: invocation.invocationId });
  invocation.log(`passcode expiry: ${erased} passcode(s) erased, ${purgedJtis} assertion id(s) purged`);
}
