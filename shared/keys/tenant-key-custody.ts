import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import type { KekProvider } from './kek-provider.js';

/**
 * Envelope encryption of a tenant private key: a fresh 32-byte data key seals the PKCS#8 DER with
 * AES-256-GCM (additional data binds it to its tenant and kid, so a row copied to another tenant or kid
 * does not open), and the KEK wraps the data key. Only this sealed form is ever stored.
 */
export interface SealedPrivateKey {
  kekId: string;
  wrappedDataKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

function additionalData(tenantId: string, kid: string): Buffer {
  return Buffer.from(`pinreset-tenant-key-v1|${tenantId}|${kid}`);
}

export async function sealPrivateKey(kek: KekProvider, privateKeyDer: Buffer, tenantId: string, kid: string): Promise<SealedPrivateKey> {
  const dataKey = randomBytes(32);
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(additionalData(tenantId, kid));
    const ciphertext = Buffer.concat([cipher.update(privateKeyDer), cipher.final()]);
    const wrapped = await kek.wrapKey(dataKey);
    return {
      kekId: wrapped.kekId,
      wrappedDataKey: wrapped.wrapped.toString('base64'),
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Unwraps the data key with the KEK and opens the private key; the DER never outlives this call. */
export async function openPrivateKey(kek: KekProvider, sealed: SealedPrivateKey, tenantId: string, kid: string): Promise<KeyObject> {
  const dataKey = await kek.unwrapKey({ kekId: sealed.kekId, wrapped: Buffer.from(sealed.wrappedDataKey, 'base64') });
  let der: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(sealed.iv, 'base64')).setAAD(additionalData(tenantId, kid));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    der = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    dataKey.fill(0);
    der?.fill(0);
  }
}
