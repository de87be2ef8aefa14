import type { Cloud, ServiceConfig } from '../config.js';
import { ConfigurationError } from '../config.js';
import { GraphError, fetchWithRetry, type RetryPolicy } from './http-retry.js';

/**
 * App-only tokens for Microsoft Graph in a customer tenant, as the PIN reset service app
 * (client credentials grant against `https://{authority}/{tenant}/oauth2/v2.0/token`).
 *
 * How the service app proves who it is differs by environment; both sit behind `ClientCredential`:
 * - development mode: a client secret, sent to the same token URL, which the simulated Entra ID
 *   answers (MSW);
 * - Azure: no secret at all. The Function App's user-assigned managed identity gets a token for
 *   `api://AzureADTokenExchange` and sends it as `client_assertion`; the service app registration
 *   trusts that identity through a federated identity credential.
 */
export interface AppTokenProvider {
  /** A bearer token for `https://{graphHost}` in `tenantId`. */
  graphToken(tenantId: string): Promise<string>;
}

export interface ClientCredential {
  readonly kind: 'clientSecret' | 'managedIdentityFederated';
  /** Form fields that authenticate the client at the token endpoint. */
  formFields(): Promise<Record<string, string>>;
}

/** Development mode only: the simulated authority accepts any secret. Never used in Azure. */
export const DEV_CLIENT_SECRET = 'development-mode-client-secret';

export class ClientSecretCredential implements ClientCredential {
  readonly kind = 'clientSecret';
  constructor(private readonly secret: string) {}
  async formFields(): Promise<Record<string, string>> {
    return { client_secret: this.secret };
  }
}

/** The token-exchange audience a managed identity asks for, per cloud (federated identity credentials). */
export const TOKEN_EXCHANGE_AUDIENCE: Record<Cloud, string> = {
  public: 'api://AzureADTokenExchange',
  usGovernment: 'api://AzureADTokenExchangeUSGov',
  china: 'api://AzureADTokenExchangeChina',
};

/** Something that yields a managed identity's access token for a scope (ManagedIdentityCredential). */
export interface AssertionSource {
  getToken(scope: string): Promise<{ token: string } | null>;
}

export class ManagedIdentityFederatedCredential implements ClientCredential {
  readonly kind = 'managedIdentityFederated';
  private source: Promise<AssertionSource> | undefined;

  constructor(
    readonly managedIdentityClientId: string,
    readonly audience: string,
    source?: AssertionSource,
  ) {
    if (source) this.source = Promise.resolve(source);
  }

  async formFields(): Promise<Record<string, string>> {
    this.source ??= import('@azure/identity').then(
      ({ ManagedIdentityCredential }) => new ManagedIdentityCredential({ clientId: this.managedIdentityClientId }),
    );
    const assertion = await (await this.source).getToken(`${this.audience}/.default`);
    if (!assertion) throw new GraphError('accessDenied', 'The managed identity returned no token for the federated credential.');
    return {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion.token,
    };
  }
}

/** Picks the credential from the configuration: a dev secret in development mode, else the managed identity. */
export function selectClientCredential(config: Pick<ServiceConfig, 'devMode' | 'cloud' | 'managedIdentityClientId'>): ClientCredential {
  if (config.devMode) return new ClientSecretCredential(DEV_CLIENT_SECRET);
  if (!config.managedIdentityClientId) {
    throw new ConfigurationError('AZURE_CLIENT_ID', 'is required to call Microsoft Graph with the managed identity (federated credential)');
  }
  return new ManagedIdentityFederatedCredential(config.managedIdentityClientId, TOKEN_EXCHANGE_AUDIENCE[config.cloud]);
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export class ClientCredentialsTokenProvider implements AppTokenProvider {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly options: {
      authorityUrl: string;
      graphHost: string;
      clientId: string;
      credential: ClientCredential;
      retry: RetryPolicy;
      now?: () => number;
    },
  ) {}

  get credentialKind(): ClientCredential['kind'] {
    return this.options.credential.kind;
  }

  async graphToken(tenantId: string): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(tenantId);
    if (cached && cached.expiresAt - REFRESH_MARGIN_MS > now) return cached.token;
    const body = new URLSearchParams({
      client_id: this.options.clientId,
      scope: `https://${this.options.graphHost}/.default`,
      grant_type: 'client_credentials',
      ...(await this.options.credential.formFields()),
    });
    const url = `${this.options.authorityUrl}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    const response = await fetchWithRetry(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() },
      this.options.retry,
    );
    if (!response.ok) {
      // 400/401 from the token endpoint: the app is not consented in that tenant or the credential is wrong.
      const detail = (await response.json().catch(() => ({}))) as { error?: string };
      throw new GraphError('accessDenied', `The token endpoint refused the service app (${response.status} ${detail.error ?? ''}).`.replace(' )', ')'));
    }
    const token = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!token.access_token) throw new GraphError('unavailable', 'The token endpoint answered without an access token.');
    this.cache.set(tenantId, { token: token.access_token, expiresAt: now + (token.expires_in ?? 3600) * 1000 });
    return token.access_token;
  }
}
