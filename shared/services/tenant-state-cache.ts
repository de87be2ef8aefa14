interface Entry {
  value: Promise<unknown>;
  expiresAt: number;
}

/**
 * A short-lived in-process cache of per-tenant state a decrypt would otherwise read from storage on
 * every request (the tenant's active state, the current-key pointer, key rows). Only positive answers
 * are kept: a load that finds nothing is not cached, so a refusal always comes from storage.
 *
 * `invalidate(tenantId)` drops the tenant at once (rotate, retire, offboard on this instance); a load
 * that was in flight when the tenant was invalidated does not put its answer back. Other instances see
 * such a change within `ttlMs`. Concurrent misses for one entry share one load. `ttlMs` 0 disables it.
 */
export class TenantStateCache {
  private readonly tenants = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxTenants = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** False when the TTL is 0: every get reads storage. */
  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get<T>(tenantId: string, name: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.enabled) return load();
    const now = this.now();
    let entries = this.tenants.get(tenantId);
    const found = entries?.get(name);
    if (found && found.expiresAt > now) return found.value as Promise<T | undefined>;
    if (!entries) {
      if (this.tenants.size >= this.maxTenants) this.evictOldest();
      entries = new Map();
      this.tenants.set(tenantId, entries);
    }
    const tenantEntries = entries;
    const entry: Entry = { value: load(), expiresAt: now + this.ttlMs };
    tenantEntries.set(name, entry);
    const drop = () => {
      if (tenantEntries.get(name) === entry) tenantEntries.delete(name);
    };
    entry.value.then((value) => {
      if (value === undefined) drop();
    }, drop);
    return entry.value as Promise<T | undefined>;
  }

  /** Forgets one entry (e.g. a key row this instance just changed). */
  forget(tenantId: string, name: string): void {
    this.tenants.get(tenantId)?.delete(name);
  }

  invalidate(tenantId: string): void {
    this.tenants.delete(tenantId);
  }

  private evictOldest(): void {
    const oldest = this.tenants.keys().next().value;
    if (oldest !== undefined) this.tenants.delete(oldest);
  }
}
