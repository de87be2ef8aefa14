import { constants, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptProtectedSecret, parseProtectedSecret, ProtectedSecretError } from '../../shared/keys/jwe-decryptor.js';
import { publicJwkOf } from '../../shared/keys/tenant-key-generator.js';
import { craftJwe, type Jwk } from '../support/protector-client.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
const jwk = publicJwkOf(publicKey) as Jwk;
const header = { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid: randomUUID(), oid: randomUUID() };

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtectedSecretError) return `${error.message}|${error.reason}`;
    throw error;
  }
  throw new Error('expected a ProtectedSecretError');
}

describe('JWE decryptor', () => {
  it('decrypts a well-formed protected secret to its 32 bytes', () => {
    const plaintext = randomBytes(32);
    expect(decryptProtectedSecret(parseProtectedSecret(craftJwe(jwk, header, { plaintext })), privateKey)).toEqual(plaintext);
  });

  it('fails a bad key-wrap and a bad tag with the same error and reason', () => {
    const good = craftJwe(jwk, header);
    const [h, k, iv, c, t] = good.split('.') as [string, string, string, string, string];
    const badWrap = [h, randomBytes(384).toString('base64url'), iv, c, t].join('.');
    const tag = Buffer.from(t, 'base64url');
    tag[0]! ^= 1;
    const badTag = [h, k, iv, c, tag.toString('base64url')].join('.');
    expect(failure(() => decryptProtectedSecret(parseProtectedSecret(badWrap), privateKey))).toBe(
      failure(() => decryptProtectedSecret(parseProtectedSecret(badTag), privateKey)),
    );
  });

  it.each([
    ['not below the modulus (all 0xff)', Buffer.alloc(384, 0xff)],
    ['one byte short', randomBytes(383)],
    ['one byte long', randomBytes(385)],
  ])('fails a key-wrap %s like any other bad wrap (the RSA operation runs on a stand-in)', (_name, encryptedKey) => {
    expect(failure(() => decryptProtectedSecret(parseProtectedSecret(craftJwe(jwk, header, { encryptedKey })), privateKey))).toMatch(/\|decryptFailed$/);
  });

  it('fails a key-wrap of a 16-byte content key (valid OAEP, wrong size) as decryptFailed', () => {
    const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(16));
    expect(failure(() => decryptProtectedSecret(parseProtectedSecret(craftJwe(jwk, header, { encryptedKey: wrapped })), privateKey))).toMatch(
      /\|decryptFailed$/,
    );
  });

  it.each([
    ['alg RSA1_5', { ...header, alg: 'RSA1_5' }, 'unsupportedHeader'],
    ['enc A128GCM', { ...header, enc: 'A128GCM' }, 'unsupportedHeader'],
    ['zip', { ...header, zip: 'DEF' }, 'unsupportedHeader'],
    ['jku', { ...header, jku: 'https://evil.example/keys' }, 'unsupportedHeader'],
    ['kid not a thumbprint', { ...header, kid: 'key-1' }, 'malformed'],
    ['tid not a GUID', { ...header, tid: 'contoso' }, 'malformed'],
  ])('refuses %s before any crypto', (_name, badHeader, reason) => {
    expect(failure(() => parseProtectedSecret(craftJwe(jwk, badHeader)))).toBe(`The protected secret could not be decrypted.|${reason}`);
  });

  it('refuses non-canonical base64url and wrong plaintext sizes as malformed', () => {
    const good = craftJwe(jwk, header);
    expect(failure(() => parseProtectedSecret(`${good}=`))).toMatch(/\|malformed$/);
    expect(failure(() => parseProtectedSecret(craftJwe(jwk, header, { plaintext: randomBytes(31) })))).toMatch(/\|malformed$/);
    expect(failure(() => parseProtectedSecret(craftJwe(jwk, header, { plaintext: randomBytes(33) })))).toMatch(/\|malformed$/);
  });
});
