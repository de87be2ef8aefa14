import type { TokenCredential } from '@azure/core-auth';
import type { CryptographyClient } from '@azure/keyvault-keys';
import { KekUnavailableError, type KekProvider, type WrappedDataKey } from './kek-provider.js';

export interface KeyVaultKekOptions {
  /** Versionless (wrap with the current version) or versioned key id. */
  keyId: string;
  /** The managed identity in Azure; tests pass a fake credential. */
  credential: TokenCredential;
}

/**
 * Azure Key Vault KEK: `wrapKey`/`unwrapKey` with RSA-OAEP-256 on the vault's RSA key. The wrap result
 * records the versioned key id Key Vault used, and unwrapping always uses exactly that version, so a
 * KEK rotation (a new version) leaves every stored key readable while the old version stays enabled.
 * @azure/keyvault-keys is imported on first use (cold start).
 */
export class KeyVaultKekProvider implements KekProvider {
  readonly kind = 'keyVault';
  private readonly clients = new Map<string, Promise<CryptographyClient>>();

  constructor(private readonly options: KeyVaultKekOptions) {}

  private client(keyId: string): Promise<CryptographyClient> {
    let client = this.clients.get(keyId);
    if (!client) {
      client = import('@azure/keyvault-keys').then(({ CryptographyClient }) => new CryptographyClient(keyId, this.options.credential));
      this.clients.set(keyId, client);
    }
    return client;
  }

  async wrapKey(dataKey: Buffer): Promise<WrappedDataKey> {
    try {
      const client = await this.client(this.options.keyId);
      const result = await client.wrapKey('RSA-OAEP-256', dataKey);
      if (!result.keyID) throw new Error('Key Vault did not name the key version it used');
      return { kekId: result.keyID, wrapped: Buffer.from(result.result) };
    } catch (error) {
      throw new KekUnavailableError('Key Vault could not wrap the key', { cause: error });
    }
  }

  async unwrapKey({ kekId, wrapped }: WrappedDataKey): Promise<Buffer> {
    if (!kekId.startsWith(`${this.options.keyId.replace(/\/[A-Za-z0-9]{32}$/, '')}/`)) {
      throw new KekUnavailableError(`the key was wrapped by another Key Vault key (${kekId})`);
    }
    try {
      const client = await this.client(kekId);
      const result = await client.unwrapKey('RSA-OAEP-256', wrapped);
      return Buffer.from(result.result);
    } catch (error) {
      throw new KekUnavailableError('Key Vault could not unwrap the key', { cause: error });
    }
  }
}
