import { describe, expect, it } from 'vitest';
import { TenantStateCache } from '../../shared/services/tenant-state-cache.js';

function counter<T>(value: T) {
  const calls = { count: 0 };
  return {
    calls,
    load: async () => {
      calls.count += 1;
      return value;
    },
  };
}

describe('tenant state cache', () => {
  it('reuses a found value until its TTL passes, and shares one load between concurrent misses', async () => {
    let now = 1_000;
    const cache = new TenantStateCache(5_000, 10, () => now);
    const { calls, load } = counter('active');
    expect(await Promise.all([cache.get('t', 'x', load), cache.get('t', 'x', load)])).toEqual(['active', 'active']);
    now += 4_999;
    expect(await cache.get('t', 'x', load)).toBe('active');
    expect(calls.count).toBe(1);
    now += 1;
    await cache.get('t', 'x', load);
    expect(calls.count).toBe(2);
  });

  it('never keeps a miss or a failed load, so a refusal always comes from storage', async () => {
    const cache = new TenantStateCache(5_000);
    const missing = counter<string | undefined>(undefined);
    await cache.get('t', 'x', missing.load);
    await cache.get('t', 'x', missing.load);
    expect(missing.calls.count).toBe(2);
    await expect(cache.get('t', 'y', () => Promise.reject(new Error('storage down')))).rejects.toThrow('storage down');
    expect(await cache.get('t', 'y', async () => 'read again')).toBe('read again');
  });

  it('drops a tenant at once on invalidate, and a load in flight at that moment does not come back', async () => {
    const cache = new TenantStateCache(5_000);
    let release: (value: string) => void = () => undefined;
    const slow = cache.get(
      't',
      'x',
      () =>
        new Promise<string>((resolve) => {
          release = resolve;
        }),
    );
    cache.invalidate('t');
    release('stale');
    expect(await slow).toBe('stale');
    expect(await cache.get('t', 'x', async () => 'fresh')).toBe('fresh');
    cache.forget('t', 'x');
    expect(await cache.get('t', 'x', async () => 'fresher')).toBe('fresher');
  });

  it('reads every time when the TTL is 0, and stays within its tenant bound', async () => {
    const off = new TenantStateCache(0);
    const { calls, load } = counter('v');
    await off.get('t', 'x', load);
    await off.get('t', 'x', load);
    expect(calls.count).toBe(2);
    const small = new TenantStateCache(5_000, 2);
    for (const tenant of ['a', 'b', 'c']) await small.get(tenant, 'x', async () => tenant);
    const again = counter('a2');
    expect(await small.get('a', 'x', again.load)).toBe('a2');
    expect(again.calls.count).toBe(1);
  });
});
