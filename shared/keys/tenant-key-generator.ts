import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export const TENANT_KEY_BITS = 3072;

/** An RSA public key as a JWK (enc, RSA-OAEP-256). */
export interface PublicRsaJwk {
  kty: 'RSA';
  use: 'enc';
  alg: 'RSA-OAEP-256';
  kid: string;
  n: string;
  e: string;
}

export interface GeneratedTenantKey {
  kid: string;
  publicJwk: PublicRsaJwk;
  /** PKCS#8 DER. The caller seals it and zero-fills this buffer. */
  privateKeyDer: Buffer;
}

/** A kid is an RFC 7638 SHA-256 thumbprint: 43 base64url characters. Anything else is refused before any lookup. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isKid(value: unknown): value is string {
  return typeof value === 'string' && KID_PATTERN.test(value);
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
export function rsaThumbprint(jwk: { e: string; n: string }): string {
  return createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n }))
    .digest('base64url');
}

export function publicJwkOf(publicKey: KeyObject): PublicRsaJwk {
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (!n || !e) throw new Error('not an RSA public key');
  return { kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256', kid: rsaThumbprint({ n, e }), n, e };
}

/** A fresh RSA-3072 tenant key (OpenSSL's CSPRNG, off the event loop). */
export async function generateTenantKey(): Promise<GeneratedTenantKey> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: TENANT_KEY_BITS, publicExponent: 0x10001 });
  const publicJwk = publicJwkOf(publicKey);
  return { kid: publicJwk.kid, publicJwk, privateKeyDer: privateKey.export({ format: 'der', type: 'pkcs8' }) };
}
