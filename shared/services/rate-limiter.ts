import type { TransactionAction } from '@azure/data-tables';
import { isServiceError, ServiceError } from '../domain/errors.js';
import type { StagedWrite } from '../storage/audit-repository.js';
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

/**
 * `claims`: the counter increments of an allowed attempt that still have to be stored, in the same
 * transaction as the attempt's audit row (AuditLog.record). `release` gives them back when the attempt
 * ends without being recorded.
 */
export type RateLimitDecision =
  | { allowed: true; claims: readonly StagedWrite[]; release(): void }
  | { allowed: false; scope: string; retryAfterSeconds: number };

/** Limits from this size on are claimed in blocks, in their own transaction; smaller ones are staged per attempt. */
const BLOCK_LIMIT = 1000;
const MAX_ATTEMPTS = 25;
const MAX_LOCAL_STATES = 10_000;

type Committed = { count: number; etag: string } | 'absent' | 'unknown';

/** A counter claimed with each attempt, stored with the attempt's audit row (one transaction for both). */
class StagedCounter implements StagedWrite {
  /** What storage held after this instance's last write or read; 'absent' = create it (the first claim tries that without a read). */
  committed: Committed = 'absent';
  /** Attempts allowed here whose claim is not stored yet (in a waiting or in-flight audit batch). */
  pending = 0;
  queue: Promise<unknown> = Promise.resolve();

  constructor(readonly id: CounterId, readonly windowStart: number, private readonly windowEnd: Date, private readonly repository: RateLimitRepository) {}

  committedCount(): number {
    return typeof this.committed === 'object' ? this.committed.count : 0;
  }

  action(uses: number): TransactionAction {
    const known = typeof this.committed === 'object' ? this.committed : undefined;
    return this.repository.action(this.id, this.committedCount() + uses, this.windowEnd, known?.etag);
  }

  settle(uses: number, etag: string | undefined): void {
    this.pending -= uses;
    this.committed = etag === undefined ? 'unknown' : { count: this.committedCount() + uses, etag };
  }
}

/** A counter of a large limit: this instance claims a block (1% of the limit, ≤ 50) and spends it locally. */
class BlockCounter {
  reserved = 0;
  known: { count: number; etag: string } | undefined;
  exhausted = false;
  untouched = true;
  queue: Promise<unknown> = Promise.resolve();

  constructor(readonly id: CounterId, readonly windowStart: number, readonly windowEnd: Date) {}
}

/**
 * Fixed-window rate limits shared by every instance through Table storage, with no transaction of
 * their own on the common path:
 *
 * - A small limit (per user) is **staged**: the attempt is allowed from what this instance knows
 *   (the count it last stored or read, plus its own attempts not stored yet), and the increment is
 *   written with the attempt's audit row, in the same entity-group transaction, conditional on the
 *   row's ETag (create-once for a new counter). If another instance counted meanwhile (or the row was
 *   deleted), the transaction fails as a whole, nothing of the attempt is stored, and the caller claims
 *   again from a fresh read (`StagedWriteConflict`). The secret leaves only after that transaction,
 *   so over-admission across instances is zero: every answered attempt is in the shared count.
 * - A large limit (≥ 1000, per tenant) is claimed in blocks (1% of the limit, ≤ 50) in a transaction
 *   of its own, spent locally; unused claims are lost at the end of the window (an instance may refuse
 *   slightly early, never late).
 *
 * A counter known to be exhausted answers 429 without storage. Claims on one counter are serialized
 * in-process. A counter whose row disappeared (deleted by hand or by storage) is created again.
 */
export class RateLimiter {
  private readonly states = new Map<string, StagedCounter | BlockCounter>();

  constructor(private readonly repository: RateLimitRepository, private readonly clock: Clock, private readonly windowSeconds: number) {}

  /** Checks the rules in order and counts the attempt against each; the first exhausted rule decides. */
  async consume(rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const nowMs = this.clock().getTime();
    const windowMs = this.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const windowEnd = new Date(windowStart + windowMs);
    const claims: StagedCounter[] = [];
    const release = () => {
      for (const claim of claims.splice(0)) claim.pending -= 1;
    };
    try {
      for (const rule of rules) {
        if (rule.limit <= 0) continue;
        const id: CounterId = { partition: rule.tenantId, row: `${rule.scope}_${rule.subject}_${windowStart / 1000}` };
        const allowed = rule.limit >= BLOCK_LIMIT
          ? await this.claimBlock(this.stateOf(id, windowStart, () => new BlockCounter(id, windowStart, windowEnd)), rule.limit)
          : await this.claimStaged(this.stateOf(id, windowStart, () => new StagedCounter(id, windowStart, windowEnd, this.repository)), rule.limit, claims);
        if (!allowed) {
          release();
          return { allowed: false, scope: rule.scope, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd.getTime() - nowMs) / 1000)) };
        }
      }
    } catch (error) {
      release();
      throw error;
    }
    return { allowed: true, claims: [...claims], release };
  }

  private stateOf<S extends StagedCounter | BlockCounter>(id: CounterId, windowStart: number, create: () => S): S {
    const name = `${id.partition}/${id.row}`;
    let state = this.states.get(name);
    if (!state) {
      if (this.states.size >= MAX_LOCAL_STATES) this.sweep(windowStart);
      state = create();
      this.states.set(name, state);
    }
    return state as S;
  }

  private sweep(windowStart: number): void {
    for (const [name, state] of this.states) if (state.windowStart < windowStart || this.states.size >= MAX_LOCAL_STATES) this.states.delete(name);
  }

  /** Serializes work on one counter in this process. */
  private serialized<T>(state: { queue: Promise<unknown> }, work: () => Promise<T>): Promise<T> {
    const result = state.queue.then(work);
    state.queue = result.catch(() => undefined);
    return result;
  }

  private claimStaged(state: StagedCounter, limit: number, claims: StagedCounter[]): Promise<boolean> {
    const decide = () => {
      if (state.committedCount() + state.pending >= limit) return false;
      state.pending += 1;
      claims.push(state);
      return true;
    };
    // The common case decides synchronously; only an unknown count (after a conflict) reads first.
    if (state.committed !== 'unknown') return Promise.resolve(decide());
    return this.serialized(state, async () => {
      if (state.committed === 'unknown') {
        const read = await this.repository.read(state.id);
        state.committed = read ? { count: read.value, etag: read.etag } : 'absent';
      }
      return decide();
    });
  }

  private claimBlock(state: BlockCounter, limit: number): Promise<boolean> {
    return this.serialized(state, () => this.claimBlockSerialized(state, limit));
  }

  private async claimBlockSerialized(state: BlockCounter, limit: number): Promise<boolean> {
    if (state.reserved > 0) {
      state.reserved -= 1;
      return true;
    }
    if (state.exhausted) return false;
    const block = Math.min(50, Math.floor(limit / 100));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      let known = state.known;
      const optimisticCreate = state.untouched;
      state.untouched = false;
      if (!known && !optimisticCreate) {
        const read = await this.repository.read(state.id);
        known = read ? { count: read.value, etag: read.etag } : undefined;
      }
      const count = known?.count ?? 0;
      if (count >= limit) {
        state.exhausted = true;
        return false;
      }
      const grant = Math.min(block, limit - count);
      try {
        const etag = known ? await this.repository.replace(state.id, count + grant, state.windowEnd, known.etag) : await this.repository.create(state.id, count + grant, state.windowEnd);
        state.known = { count: count + grant, etag };
        state.reserved += grant - 1;
        return true;
      } catch (error) {
        // Another instance counted (412, 409), or the row is gone (404: it is created again).
        if (!isServiceError(error, 'PreconditionFailed') && !isServiceError(error, 'Conflict') && !isServiceError(error, 'Request_ResourceNotFound')) throw error;
        state.known = undefined;
        if (optimisticCreate) continue;
        // A little jitter so contenders spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * (attempt + 1))));
      }
    }
    throw new ServiceError('ServiceUnavailable', 'The service is busy. Retry later.', { retryAfterSeconds: 1 });
  }
}
