import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, compactDecrypt, decodeProtectedHeader, exportJWK, importJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateDeviceKey, signDeviceAssertion } from '../../cli/client/device-key.js';
import { currentProtectorKey, generateProtector, matchesProtectorHash, protectorHash, protectSecret } from '../../cli/client/protector.js';

async function rsaJwk(bits: number): Promise<{ publicJwk: JWK & { kid: string }; privateKey: KeyObject }> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { publicJwk: { ...jwk, kid, use: 'enc', alg: 'RSA-OAEP-256' }, privateKey };
}

const tid = '11111111-2222-4333-8444-555555555555';
const oid = '66666666-7777-4888-9999-000000000000';

describe('protecting the PIN reset protector (client side)', () => {
  it('makes the compact JWE of docs/protector-keys.md: RSA-OAEP-256 + A256GCM, header kid/tid/oid, 32-byte plaintext', async () => {
    const { publicJwk, privateKey } = await rsaJwk(3072);
    const protector = generateProtector();
    const copy = Buffer.from(protector);
    const jwe = await protectSecret({ protector, key: publicJwk, tenantId: tid.toUpperCase(), userObjectId: oid });
    expect(jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: publicJwk.kid, tid, oid });
    const { plaintext } = await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(Buffer.from(plaintext).equals(copy)).toBe(true);
    expect(jwe).not.toContain(copy.toString('base64url'));
  });

  it('refuses to protect anything but exactly 32 bytes', async () => {
    const { publicJwk } = await rsaJwk(3072);
    await expect(protectSecret({ protector: Buffer.alloc(31, 1), key: publicJwk, tenantId: tid, userObjectId: oid })).rejects.toThrow(/exactly 32 bytes/);
  });

  it('picks the first usable key: RSA, RSA-OAEP-256, ≥ 3072 bits, kid = RFC 7638 thumbprint', async () => {
    const small = await rsaJwk(2048);
    const good = await rsaJwk(3072);
    const second = await rsaJwk(3072);
    const wrongKid = { ...good.publicJwk, kid: 'not-the-thumbprint' };
    const signing = { ...good.publicJwk, use: 'sig' };
    expect((await currentProtectorKey({ keys: [small.publicJwk, wrongKid, signing, good.publicJwk, second.publicJwk] })).kid).toBe(good.publicJwk.kid);
    await expect(currentProtectorKey({ keys: [small.publicJwk, wrongKid] })).rejects.toThrow(/no usable protector key/);
  });

  it('checks a returned protector against the stored hash in constant time', () => {
    const protector = generateProtector();
    const hash = protectorHash(protector);
    expect(hash).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(matchesProtectorHash(protector, hash)).toBe(true);
    const other = Buffer.from(protector);
    other[0] = (other[0] ?? 0) ^ 1;
    expect(matchesProtectorHash(other, hash)).toBe(false);
    expect(matchesProtectorHash(protector, 'sha256:short')).toBe(false);
  });
});

describe('device assertions', () => {
  it('are ES256 JWTs by the device key with iss = sub = device id, aud = the service, ≤ 5 minutes, fresh jti', async () => {
    const key = await generateDeviceKey();
    expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(key.privateJwk.d).toBeTruthy();
    const input = { deviceId: 'device-123', privateJwk: key.privateJwk, audience: 'http://127.0.0.1:7071/' };
    const first = await signDeviceAssertion(input);
    const second = await signDeviceAssertion(input);
    const publicKey = await importJWK(key.publicJwk, 'ES256');
    const { payload, protectedHeader } = await jwtVerify(first, publicKey, {
      issuer: 'device-123',
      subject: 'device-123',
      audience: 'http://127.0.0.1:7071',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(300);
    expect((await jwtVerify(second, publicKey)).payload.jti).not.toBe(payload.jti);
  });
});
