import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, importJWK, type JWK } from 'jose';

/** The PIN reset protector is an AES-256 key: exactly 32 bytes. */
export const PROTECTOR_BYTES = 32;
export const PROTECTOR_KEY_ALG = 'RSA-OAEP-256';
export const PROTECTOR_CONTENT_ENC = 'A256GCM';
/** RSA keys below this are refused on the client too (docs/protector-keys.md: RSA-3072 or more). */
export const MIN_RSA_BITS = 3072;

export interface ProtectorKeySet {
  keys: JWK[];
}

export interface ProtectedSecretHeader {
  alg: typeof PROTECTOR_KEY_ALG;
  enc: typeof PROTECTOR_CONTENT_ENC;
  kid: string;
  tid: string;
  oid: string;
}

/** A fresh 256-bit protector from the CSPRNG. The caller must `fill(0)` it when done. */
export function generateProtector(): Buffer {
  return randomBytes(PROTECTOR_BYTES);
}

/** `sha256:<base64url>` of the protector: what the device keeps to check a decrypted protector. */
export function protectorHash(protector: Uint8Array): string {
  return `sha256:${createHash('sha256').update(protector).digest('base64url')}`;
}

/** Constant-time comparison of a protector with a stored `protectorHash`. */
export function matchesProtectorHash(protector: Uint8Array, storedHash: string): boolean {
  const actual = Buffer.from(protectorHash(protector));
  const expected = Buffer.from(storedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function rsaBits(jwk: JWK): number {
  if (!jwk.n) return 0;
  const modulus = Buffer.from(jwk.n, 'base64url');
  const leading = modulus.findIndex((byte) => byte !== 0);
  if (leading < 0) return 0;
  return (modulus.length - leading) * 8 - Math.clz32(modulus[leading] ?? 0) + 24;
}

/**
 * The key to protect with: the first key of the JWKS (the service lists the current encryption key
 * first) that is an RSA encryption key for RSA-OAEP-256 of at least 3072 bits whose `kid` is its RFC
 * 7638 thumbprint. Throws when none qualifies rather than protect under a key the service would
 * not accept.
 */
export async function currentProtectorKey(keySet: ProtectorKeySet): Promise<JWK & { kid: string }> {
  for (const key of keySet.keys ?? []) {
    if (key.kty !== 'RSA' || (key.use !== undefined && key.use !== 'enc') || (key.alg !== undefined && key.alg !== PROTECTOR_KEY_ALG)) continue;
    if (!key.kid || rsaBits(key) < MIN_RSA_BITS) continue;
    if ((await calculateJwkThumbprint({ kty: 'RSA', n: key.n, e: key.e })) !== key.kid) continue;
    return key as JWK & { kid: string };
  }
  throw new Error('The service published no usable protector key (RSA-OAEP-256, 3072 bits or more, kid = RFC 7638 thumbprint).');
}

/**
 * The protected secret (docs/protector-keys.md): compact JWE, RSA-OAEP-256 + A256GCM, protected header
 * {alg, enc, kid, tid, oid}, plaintext the 32-byte protector. No `zip`.
 */
export async function protectSecret(input: { protector: Uint8Array; key: JWK & { kid: string }; tenantId: string; userObjectId: string }): Promise<string> {
  if (input.protector.length !== PROTECTOR_BYTES) throw new Error(`The protector must be exactly ${PROTECTOR_BYTES} bytes.`);
  const publicKey = await importJWK({ kty: 'RSA', n: input.key.n, e: input.key.e }, PROTECTOR_KEY_ALG);
  const header: ProtectedSecretHeader = {
    alg: PROTECTOR_KEY_ALG,
    enc: PROTECTOR_CONTENT_ENC,
    kid: input.key.kid,
    tid: input.tenantId.toLowerCase(),
    oid: input.userObjectId.toLowerCase(),
  };
  return new CompactEncrypt(input.protector).setProtectedHeader({ ...header }).encrypt(publicKey);
}
