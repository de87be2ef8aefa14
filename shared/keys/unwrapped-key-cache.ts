import type { KeyObject } from 'node:crypto';

export interface UnwrappedKeyCacheOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  key: Promise<KeyObject>;
  expiresAt: number;
}

/**
 * Unwrapped tenant private keys in memory: bounded (least recently used goes first) and with a TTL, so
 * a key is unwrapped by the KEK again after a while. Concurrent misses for one key share one unwrap.
 * Callers still check the key's state in storage on every use; this cache only saves the unwrap.
 */
export class UnwrappedKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: UnwrappedKeyCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async getOrLoad(tenantId: string, kid: string, load: () => Promise<KeyObject>): Promise<KeyObject> {
    const name = `${tenantId}/${kid}`;
    const now = this.now();
    const found = this.entries.get(name);
    if (found && found.expiresAt > now) {
      // Map order is the recency order: move to the end.
      this.entries.delete(name);
      this.entries.set(name, found);
      return found.key;
    }
    const entry: Entry = { key: load(), expiresAt: now + this.options.ttlMs };
    this.entries.delete(name);
    this.entries.set(name, entry);
    entry.key.catch(() => {
      if (this.entries.get(name) === entry) this.entries.delete(name);
    });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry.key;
  }

  evict(tenantId: string, kid: string): void {
    this.entries.delete(`${tenantId}/${kid}`);
  }

  evictTenant(tenantId: string): void {
    for (const name of [...this.entries.keys()]) if (name.startsWith(`${tenantId}/`)) this.entries.delete(name);
  }
}
