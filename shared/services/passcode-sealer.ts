import { IV_BYTES, openEnvelope, sealEnvelope, TAG_BYTES } from '../keys/envelope.js';
import type { KekProvider } from '../keys/kek-provider.js';

const FORMAT = 'p1';

/**
 * Passcodes at rest: an envelope (keys/envelope.ts) per passcode, bound to its tenant, device and action
 * so a sealed value copied to another row does not open. Sealed form (base64url parts):
 * `p1.<kek id>.<wrapped data key>.<iv | ciphertext | tag>`.
 */
export class PasscodeSealer {
  constructor(private readonly kek: KekProvider) {}

  async seal(passcode: string, binding: string): Promise<string> {
    const envelope = await sealEnvelope(this.kek, Buffer.from(passcode, 'utf8'), binding);
    const payload = Buffer.concat([envelope.iv, envelope.ciphertext, envelope.tag]).toString('base64url');
    return [FORMAT, Buffer.from(envelope.kekId, 'utf8').toString('base64url'), envelope.wrappedDataKey.toString('base64url'), payload].join('.');
  }

  async open(sealed: string, binding: string): Promise<string> {
    const [format, kekId, wrapped, payload, ...rest] = sealed.split('.');
    if (format !== FORMAT || !kekId || !wrapped || !payload || rest.length > 0) throw new Error('Unrecognized sealed passcode format.');
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) throw new Error('Sealed passcode is truncated.');
    const plaintext = await openEnvelope(
      this.kek,
      {
        kekId: Buffer.from(kekId, 'base64url').toString('utf8'),
        wrappedDataKey: Buffer.from(wrapped, 'base64url'),
        iv: bytes.subarray(0, IV_BYTES),
        ciphertext: bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES),
        tag: bytes.subarray(bytes.length - TAG_BYTES),
      },
      binding,
    );
    try {
      return plaintext.toString('utf8');
    } finally {
      plaintext.fill(0);
    }
  }
}

export function passcodeBinding(tenantId: string, deviceId: string, actionId: string): string {
  return `passcode|${tenantId}|${deviceId}|${actionId}`;
}
