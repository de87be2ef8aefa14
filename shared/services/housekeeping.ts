import type { OnboardingStateRepository } from '../storage/onboarding-state-repository.js';
import type { RateLimitRepository } from '../storage/rate-limit-repository.js';
import type { Clock } from '../domain/clock.js';

export interface HousekeepingDependencies {
  onboardingStates: OnboardingStateRepository;
  rateLimits: RateLimitRepository;
  clock: Clock;
}

function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** How many rows each purge deleted. */
export interface HousekeepingReport {
  onboardingStates: number;
  rateLimitCounters: number;
}

/**
 * Deletes rows nothing will read again: onboarding `state` links past their expiry (used or not) and
 * rate-limit counters of windows that ended. Device assertion jtis are purged by the passcode
 * expiry timer. Every purge runs even when another fails; the first failure is rethrown afterwards
 * (the timer fails visibly and the next run catches up).
 */
export class Housekeeping {
  constructor(private readonly deps: HousekeepingDependencies) {}

  async run(): Promise<HousekeepingReport> {
    const now = this.deps.clock();
    const [onboardingStates, rateLimitCounters] = await Promise.allSettled([
      this.deps.onboardingStates.purgeExpired(now),
      this.deps.rateLimits.purgeExpired(now),
    ]);
    return { onboardingStates: settledValue(onboardingStates), rateLimitCounters: settledValue(rateLimitCounters) };
  }
}
