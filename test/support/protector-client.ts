import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { getServices } from '../../shared/wiring.js';
import { invoke } from './invoke.js';
import { bearer, userToken } from './tokens.js';

export interface Jwk extends JWK {
  kid: string;
  n: string;
  e: string;
}

export interface Protected {
  jwe: string;
  /** The 32-byte protector, base64: what a decrypt must give back. */
  secret: string;
}

/** What a device does: fetch the tenant's JWKS (through the route) and take the first (current) key. */
export async function fetchJwks(tid: string, token?: string): Promise<Jwk[]> {
  const response = await invoke('GET', `/v1.0/organization/${tid}/pinResetProtectorKeys`, { headers: bearer(token ?? await userToken({ tid })) });
  if (response.status !== 200) throw new Error(`JWKS: ${response.status} ${response.text}`);
  return response.json<{ keys: Jwk[] }>().keys;
}

/** A real protector as the Windows client makes it: jose CompactEncrypt, RSA-OAEP-256 + A256GCM, kid/tid/oid in the header. */
export async function protect(jwk: Jwk, binding: { tid: string; oid: string }, plaintext: Buffer = randomBytes(32)): Promise<Protected> {
  const key = await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RSA-OAEP-256');
  const jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid: binding.tid, oid: binding.oid })
    .encrypt(key);
  return { jwe, secret: plaintext.toString('base64') };
}

/**
 * A hand-built compact JWE for attack tests: any header, any plaintext size, any encrypted key. The
 * content is always encrypted with A256GCM under a CEK wrapped with RSA-OAEP-256 to `jwk` unless
 * `encryptedKey` replaces the wrap.
 */
export function craftJwe(jwk: Jwk, header: Record<string, unknown>, options: { plaintext?: Buffer; encryptedKey?: Buffer } = {}): string {
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', cek, iv).setAAD(Buffer.from(encodedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(options.plaintext ?? randomBytes(32)), cipher.final()]);
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  const encryptedKey = options.encryptedKey ?? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  return [encodedHeader, encryptedKey.toString('base64url'), iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** POST the decrypt route (direct invoke) with a fresh MFA token of `oid` unless `token` is given. */
export async function decrypt(protectedSecret: string, caller: { tid: string; oid: string; token?: string }, path = '/v1.0/me/pinResetProtector/decrypt') {
  const token = caller.token ?? await userToken({ tid: caller.tid, oid: caller.oid, amr: ['pwd', 'mfa'] });
  return invoke('POST', path, { headers: bearer(token), body: { protectedSecret } });
}

/** The audit rows of a tenant's decrypt attempts, newest first. */
export async function decryptAudit(tid: string) {
  const page = await getServices().audit.list(tid, { top: 100, activity: 'protectorDecrypt' });
  return page.events;
}
