import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_SERVICE_RETRY_AFTER_SECONDS, openEnvelope, sealEnvelope } from '../../shared/keys/envelope.js';
import { KekUnavailableError, type KekProvider } from '../../shared/keys/kek-provider.js';
import { LocalKekProvider } from '../../shared/keys/local-kek-provider.js';

describe('envelope encryption (keys/envelope.ts)', () => {
  const kek = new LocalKekProvider(randomBytes(32));
  const secret = Buffer.from('a tenant private key or a passcode');

  it('opens what it sealed, only under the same context, and never stores the plaintext', async () => {
    const envelope = await sealEnvelope(kek, secret, 'tenant-a|kid-1');
    expect(envelope.ciphertext.includes(secret)).toBe(false);
    expect((await openEnvelope(kek, envelope, 'tenant-a|kid-1')).equals(secret)).toBe(true);
    await expect(openEnvelope(kek, envelope, 'tenant-b|kid-1')).rejects.toThrow();
    const tampered = { ...envelope, ciphertext: Buffer.from(envelope.ciphertext).fill(0, 0, 1) };
    await expect(openEnvelope(kek, tampered, 'tenant-a|kid-1')).rejects.toThrow();
  });

  it('answers one 503 with one Retry-After when the key encryption key is unreachable, sealing or opening', async () => {
    const down: KekProvider = {
      kind: 'keyVault',
      wrapKey: async () => {
        throw new KekUnavailableError('vault down');
      },
      unwrapKey: async () => {
        throw new KekUnavailableError('vault down');
      },
    };
    const expected = { code: 'ServiceUnavailable', retryAfterSeconds: KEY_SERVICE_RETRY_AFTER_SECONDS };
    await expect(sealEnvelope(down, secret, 'x')).rejects.toMatchObject(expected);
    await expect(openEnvelope(down, await sealEnvelope(kek, secret, 'x'), 'x')).rejects.toMatchObject(expected);
  });
});
