import { createPrivateKey, type KeyObject } from 'node:crypto';
import { openEnvelope, sealEnvelope } from './envelope.js';
import type { KekProvider } from './kek-provider.js';

/**
 * A tenant private key (PKCS#8 DER) in an envelope (keys/envelope.ts) bound to its tenant and kid, so a
 * row copied to another tenant or kid does not open. Only this sealed form is ever stored.
 */
export interface SealedPrivateKey {
  kekId: string;
  wrappedDataKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

function additionalData(tenantId: string, kid: string): string {
  return `pinreset-tenant-key-v1|${tenantId}|${kid}`;
}

export async function sealPrivateKey(kek: KekProvider, privateKeyDer: Buffer, tenantId: string, kid: string): Promise<SealedPrivateKey> {
  const envelope = await sealEnvelope(kek, privateKeyDer, additionalData(tenantId, kid));
  return {
    kekId: envelope.kekId,
    wrappedDataKey: envelope.wrappedDataKey.toString('base64'),
    iv: envelope.iv.toString('base64'),
    ciphertext: envelope.ciphertext.toString('base64'),
    tag: envelope.tag.toString('base64'),
  };
}

/** Unwraps the data key with the KEK and opens the private key; the DER never outlives this call. */
export async function openPrivateKey(kek: KekProvider, sealed: SealedPrivateKey, tenantId: string, kid: string): Promise<KeyObject> {
  const der = await openEnvelope(
    kek,
    {
      kekId: sealed.kekId,
      wrappedDataKey: Buffer.from(sealed.wrappedDataKey, 'base64'),
      iv: Buffer.from(sealed.iv, 'base64'),
      ciphertext: Buffer.from(sealed.ciphertext, 'base64'),
      tag: Buffer.from(sealed.tag, 'base64'),
    },
    additionalData(tenantId, kid),
  );
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}
