import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnwrappedKeyCache } from '../../shared/keys/unwrapped-key-cache.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Counts how often the cache had to unwrap (call the KEK). */
function counter() {
  const calls: string[] = [];
  return {
    calls,
    load: (name: string) => async (): Promise<KeyObject> => {
      calls.push(name);
      return privateKey;
    },
  };
}

describe('the unwrapped tenant key cache', () => {
  it('keeps at most maxEntries keys, evicting the least recently used', async () => {
    const cache = new UnwrappedKeyCache({ maxEntries: 2, ttlMs: 60_000 });
    const { calls, load } = counter();
    await cache.getOrLoad('t1', 'k', load('t1'));
    await cache.getOrLoad('t2', 'k', load('t2'));
    await cache.getOrLoad('t1', 'k', load('t1'));
    await cache.getOrLoad('t3', 'k', load('t3'));
    expect(cache.size).toBe(2);
    await cache.getOrLoad('t1', 'k', load('t1'));
    await cache.getOrLoad('t2', 'k', load('t2'));
    expect(calls).toEqual(['t1', 't2', 't3', 't2']);
  });

  it('unwraps again once the TTL has passed', async () => {
    let now = 0;
    const cache = new UnwrappedKeyCache({ maxEntries: 10, ttlMs: 1_000, now: () => now });
    const { calls, load } = counter();
    await cache.getOrLoad('t', 'k', load('first'));
    now = 999;
    await cache.getOrLoad('t', 'k', load('cached'));
    now = 1_000;
    await cache.getOrLoad('t', 'k', load('expired'));
    expect(calls).toEqual(['first', 'expired']);
  });

  it('forgets a failed unwrap, and evicts a key or a whole tenant on demand', async () => {
    const cache = new UnwrappedKeyCache({ maxEntries: 10, ttlMs: 60_000 });
    await expect(
      cache.getOrLoad('t', 'k', async () => {
        throw new Error('KEK unavailable');
      }),
    ).rejects.toThrow('KEK unavailable');
    expect(cache.size).toBe(0);
    const { calls, load } = counter();
    await cache.getOrLoad('t', 'a', load('a'));
    await cache.getOrLoad('t', 'b', load('b'));
    await cache.getOrLoad('u', 'a', load('u'));
    cache.evict('t', 'a');
    cache.evictTenant('u');
    expect(cache.size).toBe(1);
    await cache.getOrLoad('t', 'b', load('b again'));
    expect(calls).toEqual(['a', 'b', 'u']);
  });
});
