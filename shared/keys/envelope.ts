import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import { KekUnavailableError, type KekProvider } from './kek-provider.js';

/**
 * Envelope encryption, the one implementation: a fresh 32-byte data key seals the plaintext with
 * AES-256-GCM, `context` is the additional authenticated data (it binds the ciphertext to where it is
 * stored, so a copy elsewhere does not open), and the KEK wraps the data key. Data keys are zeroed
 * after use. A KEK that cannot be reached is the service's fault: one 503 with one Retry-After.
 */
export interface Envelope {
  kekId: string;
  wrappedDataKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** Seconds a client waits before retrying when the key encryption key is unreachable. */
export const KEY_SERVICE_RETRY_AFTER_SECONDS = 10;

export function keyServiceUnavailable(cause: unknown): ServiceError {
  return new ServiceError('ServiceUnavailable', 'The key service is temporarily unavailable. Retry later.', {
    retryAfterSeconds: KEY_SERVICE_RETRY_AFTER_SECONDS,
    cause,
  });
}

/** Runs a KEK call; the KEK being unavailable becomes the one 503. */
export async function withKek<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof KekUnavailableError ? keyServiceUnavailable(error) : error;
  }
}

export async function sealEnvelope(kek: KekProvider, plaintext: Buffer, context: string): Promise<Envelope> {
  const dataKey = randomBytes(32);
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const { kekId, wrapped } = await withKek(() => kek.wrapKey(dataKey));
    return { kekId, wrappedDataKey: wrapped, iv, ciphertext, tag: cipher.getAuthTag() };
  } finally {
    dataKey.fill(0);
  }
}

/** The plaintext; the caller zeroes it when done. A tampered envelope or another context throws. */
export async function openEnvelope(kek: KekProvider, envelope: Envelope, context: string): Promise<Buffer> {
  const dataKey = await withKek(() => kek.unwrapKey({ kekId: envelope.kekId, wrapped: envelope.wrappedDataKey }));
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.iv).setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  } finally {
    dataKey.fill(0);
  }
}
