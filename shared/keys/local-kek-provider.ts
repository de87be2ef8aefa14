import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { KekUnavailableError, type KekProvider, type WrappedDataKey } from './kek-provider.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from('pinreset-kek-wrap-v1');

/**
 * AES-256-GCM KEK from the PINRESET_LOCAL_KEK setting (or development mode's fixed dev-only KEK).
 * `kekId` carries a fingerprint of the KEK so a key wrapped under another KEK is reported clearly
 * instead of failing as a tag mismatch.
 */
export class LocalKekProvider implements KekProvider {
  readonly kind = 'local';
  private readonly kekId: string;

  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new Error('the local KEK must be 32 bytes');
    this.kekId = `local:${createHash('sha256').update(kek).digest('hex').slice(0, 16)}`;
  }

  async wrapKey(dataKey: Buffer): Promise<WrappedDataKey> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv).setAAD(AAD);
    const wrapped = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { kekId: this.kekId, wrapped };
  }

  async unwrapKey({ kekId, wrapped }: WrappedDataKey): Promise<Buffer> {
    if (kekId !== this.kekId) throw new KekUnavailableError(`the key was wrapped by another KEK (${kekId}); this instance has ${this.kekId}`);
    if (wrapped.length <= IV_BYTES + TAG_BYTES) throw new KekUnavailableError('the wrapped key is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, wrapped.subarray(0, IV_BYTES)).setAAD(AAD);
      decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
      return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new KekUnavailableError('the local KEK could not unwrap the key', { cause: error });
    }
  }
}
