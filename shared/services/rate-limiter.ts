import type { TransactionAction } from '@azure/data-tables';
import type { StagedWrite } from '../storage/audit-repository.js';
import type { CounterId, RateLimitRepository } from '../storage/rate-limit-repository.js';
import type { Clock } from '../domain/clock.js';
import { isConditionFailure } from '../storage/storage-errors.js';

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

const MAX_LOCAL_STATES = 10_000;
/** Reads and writes of one block claim of its own before it gives up (another instance kept counting first). */
const MAX_CLAIM_ATTEMPTS = 10;

type Committed = { count: number; etag: string } | 'absent' | 'unknown';

/**
 * What this instance learnt about one scope of one tenant's counters (its users, say) in one window. A
 * counter it has not seen is created blind (no read first), which fails its whole audit transaction
 * when another instance created it already (the user decrypted there). Once that happened, that scope
 * is counted elsewhere too: its counters new to this instance are read before their first claim for
 * the rest of the window. (The tenant's own counter, which every instance shares, conflicts like that
 * as a matter of course; it says nothing about the users.)
 */
class ScopeWindow {
  readFirst = false;

  constructor(readonly windowStart: number) {}
}

/**
 * One shared counter as this instance sees it. Its claims are staged: stored with the attempts'
 * audit rows, in the same transaction (AuditRepository.insert), conditional on the row's ETag.
 */
class Counter implements StagedWrite {
  /** What storage held after this instance's last write or read; 'absent' = create it (the first claim tries that without a read). */
  committed: Committed = 'absent';
  /** Attempts allowed here whose claim is not stored yet (in a waiting or in-flight audit batch). */
  pending = 0;
  /** Claimed and stored by this instance, not used yet (block claims of large limits). */
  reserve = 0;
  /** The current limit (a setting can change while the process runs). */
  limit = 0;
  /**
   * A block-claimed counter whose claim in an audit transaction conflicted (other instances claim
   * from it too). For the rest of its window its blocks are claimed with writes of their own, ahead of
   * need: a conflict then costs that write and a read, not the transaction of every attempt batched
   * with it.
   */
  contended = false;
  /** The block claim of its own in flight (concurrent attempts wait for the same one). */
  claiming: Promise<boolean> | undefined;
  private granted = 0;
  queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: CounterId,
    readonly windowStart: number,
    readonly windowEnd: Date,
    private readonly repository: RateLimitRepository,
    private readonly scope: ScopeWindow,
  ) {
    if (scope.readFirst) this.committed = 'unknown';
  }

  /** What storage holds now ('absent' when the row is gone). */
  async reread(): Promise<void> {
    const read = await this.repository.read(this.id);
    this.committed = read ? { count: read.value, etag: read.etag } : 'absent';
  }

  committedCount(): number {
    return typeof this.committed === 'object' ? this.committed.count : 0;
  }

  /** Large limits (≥ 1000) are claimed in blocks of 1% (≤ 50): fewer writes of a row every instance shares. */
  block(): number {
    return this.limit >= 1000 ? Math.min(50, Math.floor(this.limit / 100)) : 1;
  }

  action(uses: number): TransactionAction | undefined {
    // What was admitted no longer fits what storage holds (a read after another attempt's conflict
    // learnt a higher count), or the count is unknown: the attempts claim again.
    if (this.committed === 'unknown' || this.committedCount() + uses > this.limit) return undefined;
    this.granted = Math.max(uses, Math.min(this.block(), this.limit - this.committedCount()));
    const known = typeof this.committed === 'object' ? this.committed : undefined;
    return this.repository.action(this.id, this.committedCount() + this.granted, this.windowEnd, known?.etag);
  }

  settle(uses: number, etag: string | undefined, suspect: boolean): void {
    this.pending -= uses;
    if (etag !== undefined) {
      this.committed = { count: this.committedCount() + this.granted, etag };
      this.reserve += this.granted - uses;
    } else if (suspect) {
      if (this.committed === 'absent') this.scope.readFirst = true;
      this.committed = 'unknown';
      if (this.block() > 1) this.contended = true;
    }
  }
}

/** How one rule admitted an attempt: from this instance's stored reserve, or with a claim to store. */
interface Admission {
  counter: Counter;
  staged: boolean;
}

/**
 * Fixed-window rate limits shared by every instance through Table storage, with no transaction of
 * their own on the common path. An attempt is allowed from what this instance knows (the count it
 * last stored or read, plus its own attempts not stored yet), and its claim is **stored with the
 * attempt's audit row**, in the same entity-group transaction (the counters live in the tenant's audit
 * partition), conditional on the counter's ETag (create-once for a new window). If another instance
 * counted meanwhile, or the row was deleted, that transaction fails as a whole, nothing of the attempt
 * is stored, and the caller claims again from a fresh read (AuditRepository's StagedWriteConflict). The
 * answer leaves only after that transaction, so **over-admission across instances is zero**: every
 * answered attempt is in the shared count.
 *
 * Large limits (≥ 1000, per tenant) claim a block (1% of the limit, ≤ 50) with one attempt and spend
 * the rest locally: unused claims are lost at the end of the window (an instance may refuse slightly
 * early, never late). Once such a block claim conflicts with another instance's, that counter's blocks
 * are claimed with writes of their own, ahead of need, for the rest of the window (`contended`): the
 * counter every instance of a tenant shares then never fails the audit transactions of attempts
 * batched with its claim. Likewise, once a user counter this instance created blind turns out to exist
 * (the user decrypted on another instance), the tenant's user counters new to this instance are read
 * before their first claim for the rest of the window (ScopeWindow). A counter known to be exhausted
 * answers 429 without storage. A counter whose row disappeared is read as absent and created again.
 */
export class RateLimiter {
  private readonly states = new Map<string, Counter>();
  private readonly scopes = new Map<string, ScopeWindow>();

  constructor(
    private readonly repository: RateLimitRepository,
    private readonly clock: Clock,
    private readonly windowSeconds: number,
  ) {}

  /** Checks the rules in order and counts the attempt against each; the first exhausted rule decides. */
  async consume(rules: readonly RateLimitRule[]): Promise<RateLimitDecision> {
    const nowMs = this.clock().getTime();
    const windowMs = this.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const windowEnd = new Date(windowStart + windowMs);
    const admitted: Admission[] = [];
    const release = () => {
      for (const { counter, staged } of admitted.splice(0)) {
        if (staged) counter.pending -= 1;
        else counter.reserve += 1;
      }
    };
    try {
      for (const rule of rules) {
        if (rule.limit <= 0) continue;
        const id: CounterId = { partition: rule.tenantId, row: `${rule.scope}_${rule.subject}_${windowStart / 1000}` };
        const counter = this.stateOf(id, `${rule.tenantId}/${rule.scope}`, windowStart, windowEnd);
        counter.limit = rule.limit;
        const admission = await this.admit(counter);
        if (!admission) {
          release();
          return { allowed: false, scope: rule.scope, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd.getTime() - nowMs) / 1000)) };
        }
        admitted.push(admission);
      }
    } catch (error) {
      release();
      throw error;
    }
    return { allowed: true, claims: admitted.filter((admission) => admission.staged).map((admission) => admission.counter), release };
  }

  private stateOf(id: CounterId, scope: string, windowStart: number, windowEnd: Date): Counter {
    const name = `${id.partition}/${id.row}`;
    let state = this.states.get(name);
    if (!state) {
      if (this.states.size >= MAX_LOCAL_STATES) this.sweep(windowStart);
      state = new Counter(id, windowStart, windowEnd, this.repository, this.scopeOf(scope, windowStart));
      this.states.set(name, state);
    }
    return state;
  }

  private scopeOf(scope: string, windowStart: number): ScopeWindow {
    let known = this.scopes.get(scope);
    if (known?.windowStart !== windowStart) {
      if (this.scopes.size >= MAX_LOCAL_STATES) this.scopes.clear();
      known = new ScopeWindow(windowStart);
      this.scopes.set(scope, known);
    }
    return known;
  }

  private sweep(windowStart: number): void {
    for (const [name, state] of this.states) if (state.windowStart < windowStart || this.states.size >= MAX_LOCAL_STATES) this.states.delete(name);
  }

  private admit(counter: Counter): Promise<Admission | undefined> {
    if (counter.contended) return this.admitFromOwnClaims(counter);
    const decide = (): Admission | undefined => {
      if (counter.reserve > 0) {
        counter.reserve -= 1;
        return { counter, staged: false };
      }
      if (counter.committedCount() + counter.pending >= counter.limit) return undefined;
      counter.pending += 1;
      return { counter, staged: true };
    };
    // The common case decides synchronously; only an unknown count (after a conflict) is read first,
    // once for every attempt waiting on it.
    if (counter.committed !== 'unknown') return Promise.resolve(decide());
    const result = counter.queue.then(async () => {
      if (counter.committed === 'unknown') {
        await counter.reread();
      }
      return decide();
    });
    counter.queue = result.catch(() => undefined);
    return result;
  }

  /** A contended counter: the attempt spends a block this instance claimed with a write of its own. */
  private async admitFromOwnClaims(counter: Counter): Promise<Admission | undefined> {
    while (counter.reserve === 0) {
      if (!(await this.claimBlock(counter))) return undefined;
    }
    counter.reserve -= 1;
    // The next block is claimed while half of this one is left, so attempts rarely wait for a claim.
    if (counter.reserve <= counter.block() / 2) void this.claimBlock(counter).catch(() => undefined);
    return { counter, staged: false };
  }

  /** One claim at a time per counter; false when the window's count is used up. */
  private claimBlock(counter: Counter): Promise<boolean> {
    counter.claiming ??= this.writeClaim(counter).finally(() => {
      counter.claiming = undefined;
    });
    return counter.claiming;
  }

  /**
   * Adds a block to the shared count, conditional on its ETag (create-once for a new window), and to
   * this instance's reserve. Another instance counting first, or the row gone, means read and claim
   * again; a write storage did not answer may have been applied, so it is read again too (claims lost
   * that way make this instance refuse early, never late).
   */
  private async writeClaim(counter: Counter): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      if (counter.committed === 'unknown') {
        await counter.reread();
      }
      const known = counter.committed;
      const count = counter.committedCount();
      if (count >= counter.limit) return false;
      const grant = Math.min(counter.block(), counter.limit - count);
      try {
        const etag =
          typeof known === 'object'
            ? await this.repository.replace(counter.id, count + grant, counter.windowEnd, known.etag)
            : await this.repository.create(counter.id, count + grant, counter.windowEnd);
        counter.committed = { count: count + grant, etag };
        counter.reserve += grant;
        return true;
      } catch (error) {
        counter.committed = 'unknown';
        if (!isConditionFailure(error) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
      }
    }
  }
}
