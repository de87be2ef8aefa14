/**
 * A key-encryption key (KEK) wraps the 32-byte data keys that seal tenant private keys (envelope
 * encryption, see tenant-key-custody.ts). Two implementations: a local AES-256-GCM key from settings
 * (development, self-hosting) and Azure Key Vault (wrapKey/unwrapKey, the KEK never leaves the vault).
 */
export interface WrappedDataKey {
  /** Which KEK (and version) wrapped it: the only one that can unwrap it. */
  kekId: string;
  wrapped: Buffer;
}

export interface KekProvider {
  readonly kind: 'local' | 'keyVault';
  wrapKey(dataKey: Buffer): Promise<WrappedDataKey>;
  /** Throws KekUnavailableError when the KEK cannot be reached or refuses (never a client error). */
  unwrapKey(wrapped: WrappedDataKey): Promise<Buffer>;
}

/** The KEK could not wrap or unwrap: a service fault (503), never the caller's. */
export class KekUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KekUnavailableError';
  }
}
