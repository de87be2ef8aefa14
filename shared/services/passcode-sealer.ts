import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import { KekUnavailableError, type KekProvider } from '../keys/kek-provider.js';

const FORMAT = 'p1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Passcodes at rest: AES-256-GCM under a fresh data key per passcode, the data key wrapped by the KEK.
 * The additional authenticated data binds a sealed passcode to its tenant, device and action, so a
 * sealed value copied to another row does not open. Sealed form (base64url parts):
 * `p1.<kek id>.<wrapped data key>.<iv | ciphertext | tag>`.
 */
export class PasscodeSealer {
  constructor(private readonly kek: KekProvider) {}

  async seal(passcode: string, binding: string): Promise<string> {
    const dataKey = randomBytes(32);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      cipher.setAAD(Buffer.from(binding, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(passcode, 'utf8'), cipher.final()]);
      const payload = Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
      const { kekId, wrapped } = await kekCall(() => this.kek.wrapKey(dataKey));
      return [FORMAT, Buffer.from(kekId, 'utf8').toString('base64url'), wrapped.toString('base64url'), payload].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  async open(sealed: string, binding: string): Promise<string> {
    const [format, kekId, wrapped, payload, ...rest] = sealed.split('.');
    if (format !== FORMAT || !kekId || !wrapped || !payload || rest.length > 0) throw new Error('Unrecognized sealed passcode format.');
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) throw new Error('Sealed passcode is truncated.');
    const dataKey = await kekCall(() => this.kek.unwrapKey({ kekId: Buffer.from(kekId, 'base64url').toString('utf8'), wrapped: Buffer.from(wrapped, 'base64url') }));
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(binding, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }
}

export function passcodeBinding(tenantId: string, deviceId: string, actionId: string): string {
  return `passcode|${tenantId}|${deviceId}|${actionId}`;
}

/** The KEK being unreachable is the service's fault: 503 with Retry-After, never a client error. */
async function kekCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KekUnavailableError) {
      throw new ServiceError('ServiceUnavailable', 'The key service is temporarily unavailable. Retry later.', { retryAfterSeconds: 5, cause: error });
    }
    throw error;
  }
}
