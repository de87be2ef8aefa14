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
