import { constants, createDecipheriv, createPublicKey, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { isKid } from './tenant-key-generator.js';

/**
 * Compact JWE decryption for protected secrets, with a strict allow-list: `alg` RSA-OAEP-256,
 * `enc` A256GCM, no `zip`/`crit`, protected header `kid`, `tid`, `oid`, and a 32-byte plaintext.
 * node:crypto is used directly (not a general JWE library) so that nothing outside the allow-list can
 * even be parsed into an algorithm choice, and so that a bad key-wrap and a bad tag take the same path.
 *
 * Every failure is one error type, `ProtectedSecretError`; its `reason` is for the audit log only.
 */
export type ProtectedSecretFailure = 'malformed' | 'unsupportedHeader' | 'decryptFailed';

export class ProtectedSecretError extends Error {
  constructor(readonly reason: ProtectedSecretFailure) {
    super('The protected secret could not be decrypted.');
    this.name = 'ProtectedSecretError';
  }
}

export const PROTECTOR_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CEK_BYTES = 32;
const ALLOWED_HEADER_NAMES = new Set(['alg', 'enc', 'kid', 'tid', 'oid', 'typ', 'cty']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT_JWE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

export interface ProtectedSecretHeader {
  kid: string;
  /** Lower case. */
  tid: string;
  /** Lower case. */
  oid: string;
}

export interface ParsedProtectedSecret {
  header: ProtectedSecretHeader;
  /** The protected header as sent: the AES-GCM additional data. */
  encodedHeader: string;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Strict base64url: decoding and re-encoding must give the same text (no padding, no stray bits). */
function base64url(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new ProtectedSecretError('malformed');
  return bytes;
}

function parseHeader(encoded: string): ProtectedSecretHeader {
  let header: unknown;
  try {
    header = JSON.parse(base64url(encoded).toString('utf8'));
  } catch {
    throw new ProtectedSecretError('malformed');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ProtectedSecretError('malformed');
  const fields = header as Record<string, unknown>;
  if (Object.keys(fields).some((name) => !ALLOWED_HEADER_NAMES.has(name))) throw new ProtectedSecretError('unsupportedHeader');
  if (fields.alg !== 'RSA-OAEP-256' || fields.enc !== 'A256GCM') throw new ProtectedSecretError('unsupportedHeader');
  const { kid, tid, oid } = fields;
  if (!isKid(kid) || typeof tid !== 'string' || !GUID.test(tid) || typeof oid !== 'string' || !GUID.test(oid)) {
    throw new ProtectedSecretError('malformed');
  }
  return { kid, tid: tid.toLowerCase(), oid: oid.toLowerCase() };
}

/** Structure and header checks only (no key needed). Sizes are fixed, so a wrong plaintext size fails here. */
export function parseProtectedSecret(compact: string): ParsedProtectedSecret {
  const parts = COMPACT_JWE.exec(compact);
  if (!parts) throw new ProtectedSecretError('malformed');
  const [, encodedHeader = '', encryptedKey = '', iv = '', ciphertext = '', tag = ''] = parts;
  const parsed: ParsedProtectedSecret = {
    header: parseHeader(encodedHeader),
    encodedHeader,
    encryptedKey: base64url(encryptedKey),
    iv: base64url(iv),
    ciphertext: base64url(ciphertext),
    tag: base64url(tag),
  };
  // A256GCM ciphertext is exactly as long as the plaintext.
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES || parsed.ciphertext.length !== PROTECTOR_BYTES) {
    throw new ProtectedSecretError('malformed');
  }
  return parsed;
}

interface Modulus {
  bytes: Buffer;
  /** A fixed number below the modulus (RSA blinding makes its value irrelevant to the timing). */
  standIn: Buffer;
}

const moduli = new WeakMap<KeyObject, Modulus>();

function modulusOf(privateKey: KeyObject): Modulus {
  let modulus = moduli.get(privateKey);
  if (!modulus) {
    const bytes = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).n ?? '', 'base64url');
    const standIn = randomBytes(bytes.length);
    standIn[0] = 0;
    modulus = { bytes, standIn };
    moduli.set(privateKey, modulus);
  }
  return modulus;
}

/**
 * The RSA input: the key-wrap itself, or — when it is not a number below the modulus (wrong length, or
 * too large), which OpenSSL refuses before any exponentiation — a stand-in below the modulus,
 * so the private-key operation runs (and fails its OAEP check) just as long as for any other bad wrap.
 */
function rsaInput(encryptedKey: Buffer, privateKey: KeyObject): { input: Buffer; usable: boolean } {
  const { bytes, standIn } = modulusOf(privateKey);
  if (encryptedKey.length === bytes.length && Buffer.compare(encryptedKey, bytes) < 0) return { input: encryptedKey, usable: true };
  return { input: standIn, usable: false };
}

/**
 * RSA-OAEP-256 unwrap of the content key, then AES-256-GCM. RFC 7516 §11.5: when the key-wrap is bad
 * (padding, length, anything) we carry on with a random content key and run the AES-GCM decrypt
 * anyway, so a bad key-wrap and a bad tag do the same work and fail the same way (the RSA operation
 * always runs: see rsaInput).
 */
export function decryptProtectedSecret(parsed: ParsedProtectedSecret, privateKey: KeyObject): Buffer {
  let cek: Buffer;
  const { input, usable } = rsaInput(parsed.encryptedKey, privateKey);
  let wrapOk = usable;
  try {
    cek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input);
    if (cek.length !== CEK_BYTES || !wrapOk) throw new Error('unusable content key');
  } catch {
    cek = randomBytes(CEK_BYTES);
    wrapOk = false;
  }
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', cek, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(parsed.encodedHeader, 'ascii'));
    decipher.setAuthTag(parsed.tag);
    plaintext = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
  } catch {
    throw new ProtectedSecretError('decryptFailed');
  } finally {
    cek.fill(0);
  }
  if (!wrapOk || plaintext.length !== PROTECTOR_BYTES) {
    plaintext.fill(0);
    throw new ProtectedSecretError('decryptFailed');
  }
  return plaintext;
}
