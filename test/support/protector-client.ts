import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { currentProtectorKey, generateProtector, protectSecret } from '../../cli/client/protector.js';
import { getServices } from '../../shared/wiring.js';
import { invoke } from './invoke.js';
import { bearer, userToken } from './tokens.js';

/** A key of a tenant's protector JWKS as the route publishes it. */
export interface Jwk extends JWK {
  kid: string;
  n: string;
  e: string;
}

/** A key to protect with, as the client library picks it. */
export type ProtectorKey = Awaited<ReturnType<typeof currentProtectorKey>>;

export interface Protected {
  jwe: string;
  /** The 32-byte protector, base64: what a decrypt must give back. */
  secret: string;
}

/** The tenant's JWKS through the route, in the service's order (current encryption key first). */
export async function fetchJwks(tid: string, token?: string): Promise<Jwk[]> {
  const response = await invoke('GET', `/v1.0/organization/${tid}/pinResetProtectorKeys`, { headers: bearer(token ?? (await userToken({ tid }))) });
  if (response.status !== 200) throw new Error(`JWKS: ${response.status} ${response.text}`);
  return response.json<{ keys: Jwk[] }>().keys;
}

/** What a device does: fetch the JWKS and pick the key to protect with, as the client library does. */
export async function currentKey(tid: string, token?: string): Promise<ProtectorKey> {
  return currentProtectorKey({ keys: await fetchJwks(tid, token) });
}

/** A real protector as the client library makes it (fresh 32 bytes, kid/tid/oid in the header). */
export async function protect(key: ProtectorKey, binding: { tid: string; oid: string }): Promise<Protected> {
  const protector = generateProtector();
  const jwe = await protectSecret({ protector, key, tenantId: binding.tid, userObjectId: binding.oid });
  return { jwe, secret: protector.toString('base64') };
}

/**
 * A hand-built compact JWE for attack tests: any header, any plaintext size, any encrypted key. The
 * content is always encrypted with A256GCM under a CEK wrapped with RSA-OAEP-256 to `jwk` unless
 * `encryptedKey` replaces the wrap.
 */
export function craftJwe(jwk: JWK, header: Record<string, unknown>, options: { plaintext?: Buffer; encryptedKey?: Buffer } = {}): string {
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', cek, iv).setAAD(Buffer.from(encodedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(options.plaintext ?? randomBytes(32)), cipher.final()]);
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  const encryptedKey = options.encryptedKey ?? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  return [
    encodedHeader,
    encryptedKey.toString('base64url'),
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** POST the decrypt route (direct invoke) with a fresh MFA token of `oid` unless `token` is given. */
export async function decrypt(protectedSecret: unknown, caller: { tid: string; oid: string; token?: string }, path = '/v1.0/me/pinResetProtector/decrypt') {
  const token = caller.token ?? (await userToken({ tid: caller.tid, oid: caller.oid, amr: ['pwd', 'mfa'] }));
  return invoke('POST', path, { headers: bearer(token), body: { protectedSecret } });
}

/** The audit rows of a tenant's decrypt attempts, newest first. */
export async function decryptAudit(tid: string) {
  const page = await getServices().audit.list(tid, { top: 100, activity: 'protectorDecrypt' });
  return page.events;
}
