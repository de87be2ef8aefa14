import type { TokenCredential } from '@azure/core-auth';
import type { ServiceConfig } from '../config.js';
import type { KekProvider } from './kek-provider.js';
import { KeyVaultKekProvider } from './key-vault-kek-provider.js';
import { LocalKekProvider } from './local-kek-provider.js';

/** The KEK the settings choose: Key Vault (PINRESET_KEY_VAULT_KEY_ID) or the local key. */
export function selectKekProvider(config: ServiceConfig): KekProvider {
  const custody = config.keyCustody;
  if (custody.kind === 'local') return new LocalKekProvider(custody.kek);
  let managedIdentity: Promise<TokenCredential> | undefined;
  return new KeyVaultKekProvider({
    keyId: custody.keyId,
    credential: {
      // @azure/identity is loaded on the first Key Vault call only (cold start).
      async getToken(scopes, options) {
        managedIdentity ??= import('@azure/identity').then(({ ManagedIdentityCredential }) =>
          custody.clientId ? new ManagedIdentityCredential({ clientId: custody.clientId }) : new ManagedIdentityCredential(),
        );
        return (await managedIdentity).getToken(scopes, options);
      },
    },
  });
}
