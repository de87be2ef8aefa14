import { isServiceError, ServiceError } from '../domain/errors.js';
import type { CounterId, RateLimitRepository } from '../storage/rate-limit-repository.js';
import type { Clock } from '../domain/clock.js';

export interface RateLimitRule {
  /** e.g. `user` or `tenant`: part of the counter's row key. */
  scope: string;
  /** The tenant id: the counter's partition. */
  tenantId: string;
  subject: string;
  /** Attempts per window; 0 = no limit. */
  limit: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; scope: string; retryAfterSeconds: number };

interface CounterState {
  windowStart: number;
  /** Attempts this instance already claimed from the shared counter but has not used yet. */
  reserved: number;
  /** The last count and ETag this instance wrote or read: the next claim tries them without a read. */
  known: { count: number; etag: string } | undefined;
  exhausted: boolean;
  /** Not yet read or written by this instance: the first claim tries to create the row (most counters are new). */
  untouched: boolean;
  queue: Promise<unknown>;
}

const MAX_ATTEMPTS = 25;
const MAX_LOCAL_STATES = 10_000;

/**
 * Fixed-window rate limits shared by every instance through Table storage. A claim increments the
 * shared counter with the row's ETag (412 → read again and retry), so the limit holds across
 * processes. The in-process first line: a counter known to be exhausted answers 429 without storage,
 * claims on one counter are serialized in-process, and for large limits (≥ 1000) an instance claims a
 * small block at once (at most 1% of the limit, ≤ 50) and spends it locally. A counter this instance
 * has not seen yet is created without a read first (409 → read and retry). Unused claims are simply
 * lost at the end of the window, so the shared limit is never exceeded.
 */
export class RateLimiter {
  private readonly states = new Map<string, CounterState>();

  constructor(private readonly repository: RateLimitRepository, private readonly clock: Clock, private readonly windowSeconds: number) {}

  /** Checks the rules in order and counts the attempt against each; the first exhausted rule decides. */
  async consume(rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const nowMs = this.clock().getTime();
    const windowMs = this.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    for (const rule of rules) {
      if (rule.limit <= 0) continue;
      if (!(await this.claim(rule, windowStart, windowStart + windowMs))) {
        return { allowed: false, scope: rule.scope, retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000)) };
      }
    }
    return { allowed: true };
  }

  private stateOf(id: CounterId, windowStart: number): CounterState {
    const name = `${id.partition}/${id.row}`;
    let state = this.states.get(name);
    if (!state) {
      if (this.states.size >= MAX_LOCAL_STATES) this.sweep(windowStart);
      state = { windowStart, reserved: 0, known: undefined, exhausted: false, untouched: true, queue: Promise.resolve() };
      this.states.set(name, state);
    }
    return state;
  }

  private sweep(windowStart: number): void {
    for (const [name, state] of this.states) if (state.windowStart < windowStart || this.states.size >= MAX_LOCAL_STATES) this.states.delete(name);
  }

  private claim(rule: RateLimitRule, windowStart: number, windowEnd: number): Promise<boolean> {
    const id: CounterId = { partition: rule.tenantId, row: `${rule.scope}_${rule.subject}_${windowStart / 1000}` };
    const state = this.stateOf(id, windowStart);
    // Serialize claims on one counter in this process: no self-inflicted 412s.
    const result = state.queue.then(() => this.claimSerialized(id, rule.limit, state, new Date(windowEnd)));
    state.queue = result.catch(() => undefined);
    return result;
  }

  private async claimSerialized(id: CounterId, limit: number, state: CounterState, windowEnd: Date): Promise<boolean> {
    if (state.reserved > 0) {
      state.reserved -= 1;
      return true;
    }
    if (state.exhausted) return false;
    const block = limit >= 1000 ? Math.min(50, Math.floor(limit / 100)) : 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      let known = state.known;
      const optimisticCreate = state.untouched;
      state.untouched = false;
      if (!known && !optimisticCreate) {
        const read = await this.repository.read(id);
        known = read ? { count: read.value, etag: read.etag } : undefined;
      }
      const count = known?.count ?? 0;
      if (count >= limit) {
        state.exhausted = true;
        return false;
      }
      const grant = Math.min(block, limit - count);
      try {
        const etag = known ? await this.repository.replace(id, count + grant, windowEnd, known.etag) : await this.repository.create(id, count + grant, windowEnd);
        state.known = { count: count + grant, etag };
        state.reserved += grant - 1;
        return true;
      } catch (error) {
        if (!isServiceError(error, 'PreconditionFailed') && !isServiceError(error, 'Conflict')) throw error;
        // Another instance counted: read again (with a little jitter so contenders spread out).
        state.known = undefined;
        if (optimisticCreate) continue;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * (attempt + 1))));
      }
    }
    throw new ServiceError('ServiceUnavailable', 'The service is busy. Retry later.', { retryAfterSeconds: 1 });
  }
}
