import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_SERVICE_RETRY_AFTER_SECONDS } from '../../shared/keys/envelope.js';
import { KekUnavailableError, type KekProvider } from '../../shared/keys/kek-provider.js';
import { LocalKekProvider } from '../../shared/keys/local-kek-provider.js';
import { passcodeBinding, PasscodeSealer } from '../../shared/services/passcode-sealer.js';

const binding = passcodeBinding('tenant-1', 'device-1', 'action-1');

describe('PasscodeSealer', () => {
  it('round-trips a passcode and never stores it or its data key in the clear', async () => {
    const sealer = new PasscodeSealer(new LocalKekProvider(randomBytes(32)));
    const sealed = await sealer.seal('Ab3$efgH', binding);
    expect(sealed).toMatch(/^p1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('Ab3$efgH');
    expect(await sealer.open(sealed, binding)).toBe('Ab3$efgH');
    expect(await sealer.seal('Ab3$efgH', binding)).not.toBe(sealed);
  });

  it('refuses a sealed passcode moved to another action, tampered with, or opened under another KEK', async () => {
    const sealer = new PasscodeSealer(new LocalKekProvider(randomBytes(32)));
    const sealed = await sealer.seal('12837465', binding);
    await expect(sealer.open(sealed, passcodeBinding('tenant-1', 'device-1', 'action-2'))).rejects.toThrow();
    const parts = sealed.split('.');
    const payload = Buffer.from(parts[3]!, 'base64url');
    payload[payload.length - 1]! ^= 1;
    await expect(sealer.open([...parts.slice(0, 3), payload.toString('base64url')].join('.'), binding)).rejects.toThrow();
    await expect(new PasscodeSealer(new LocalKekProvider(randomBytes(32))).open(sealed, binding)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });

  it('turns an unreachable KEK into 503 ServiceUnavailable', async () => {
    const down: KekProvider = {
      kind: 'keyVault',
      wrapKey: async () => {
        throw new KekUnavailableError('vault down');
      },
      unwrapKey: async () => {
        throw new KekUnavailableError('vault down');
      },
    };
    await expect(new PasscodeSealer(down).seal('12837465', binding)).rejects.toMatchObject({
      code: 'ServiceUnavailable',
      retryAfterSeconds: KEY_SERVICE_RETRY_AFTER_SECONDS,
    });
  });
});
