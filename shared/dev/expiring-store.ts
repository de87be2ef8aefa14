/**
 * In-memory state of the development authority (codes, device codes, refresh tokens, sign-in
 * interactions): every entry expires, and the store never holds more than `maxEntries` (the oldest
 * go first), so a script hammering the authority cannot grow the process without bound.
 */
export class ExpiringStore<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  set(key: string, value: T, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    this.sweep();
  }

  /** The live entry, or undefined (expired entries are dropped on the way). */
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** The entry even if expired (to tell "expired" from "unknown"), until it is swept. */
  getWithExpiry(key: string): { value: T; expired: boolean } | undefined {
    const entry = this.entries.get(key);
    return entry ? { value: entry.value, expired: entry.expiresAt <= this.now() } : undefined;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  values(): T[] {
    const now = this.now();
    return [...this.entries.values()].filter((entry) => entry.expiresAt > now).map((entry) => entry.value);
  }

  /** The live entries with their expiry (ms since the epoch on this store's clock), oldest first. */
  snapshot(): [key: string, value: T, expiresAt: number][] {
    const now = this.now();
    return [...this.entries].filter(([, entry]) => entry.expiresAt > now).map(([key, entry]) => [key, entry.value, entry.expiresAt]);
  }

  /** Puts back what `snapshot` returned (expired entries are left out). */
  restore(entries: readonly (readonly [key: string, value: T, expiresAt: number])[]): void {
    const now = this.now();
    for (const [key, value, expiresAt] of entries) if (expiresAt > now) this.entries.set(key, { value, expiresAt });
    this.sweep();
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
