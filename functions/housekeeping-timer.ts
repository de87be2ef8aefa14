import type { InvocationContext, Timer } from '@azure/functions';

/** Hourly, at minute 23 (away from the other timers' turn of the hour). */
export const HOUSEKEEPING_SCHEDULE = '0 23 * * * *';

export async function housekeepingTimer(_timer: Timer, invocation: InvocationContext): Promise<void> {
  // Loaded here, not at import time (cold start), as the HTTP functions do.
  const { getServices } = await import('../shared/wiring.js');
  const report = await getServices().housekeeping.run();
  invocation.log(`housekeeping: ${report.onboardingStates} onboarding state(s) and ${report.rateLimitCounters} rate-limit counter(s) deleted`);
}
