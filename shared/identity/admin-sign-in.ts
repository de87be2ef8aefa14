import type { ClientCredential } from './app-token-provider.js';
import { outboundFetch } from '../outbound-fetch.js';

/**
 * The administrator's sign-in that begins onboarding: OpenID Connect authorization code + PKCE +
 * nonce at the tenant's authority, as a confidential client of the service app. openid-client (panva)
 * does the protocol: the authorization URL, the code redemption and the id token checks (issuer =
 * `${authorityUrl}/${tid}/v2.0`, audience = the service app, nonce, expiry). The client proves
 * itself with the same credential as its Graph calls (a development secret locally, the managed
 * identity's federated assertion in Azure).
 */
export interface AdminSignIn {
  authorizationUrl(request: { tenantId: string; state: string; nonce: string; codeChallenge: string }): Promise<string>;
  /** Redeems the code at `callbackUrl`; throws AdminSignInError when the authority or the id token says no. */
  redeem(request: { tenantId: string; callbackUrl: URL; codeVerifier: string; state: string; nonce: string }): Promise<SignedInAdmin>;
}

/** What the id token says about who signed in. */
export interface SignedInAdmin {
  tenantId: string;
  objectId: string;
  userPrincipalName: string | undefined;
  displayName: string | undefined;
  wids: string[];
  roles: string[];
}

export class AdminSignInError extends Error {
  constructor(
    message: string,
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'AdminSignInError';
  }
}

export interface OpenIdAdminSignInOptions {
  authorityUrl: string;
  clientId: string;
  redirectUri: string;
  /** Chosen on first redemption (a missing managed identity is a configuration error then, not at start). */
  credential: () => ClientCredential;
}

type OpenIdClient = typeof import('openid-client');

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]');
}

export class OpenIdAdminSignIn implements AdminSignIn {
  /** openid-client loads on first use: onboarding is rare, cold start matters. */
  private library: Promise<OpenIdClient> | undefined;

  constructor(private readonly options: OpenIdAdminSignInOptions) {}

  /**
   * The tenant's authority, from Entra's well-known layout (no discovery round trip). Plain http is
   * allowed only for the development authority on loopback (the configuration refuses it elsewhere).
   */
  private async configuration(tenantId: string) {
    this.library ??= import('openid-client');
    const client = await this.library;
    const base = `${this.options.authorityUrl}/${encodeURIComponent(tenantId)}`;
    const authenticate: import('openid-client').ClientAuth = async (_server, _client, body) => {
      body.set('client_id', this.options.clientId);
      for (const [name, value] of Object.entries(await this.options.credential().formFields())) body.set(name, value);
    };
    const config = new client.Configuration(
      {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
      },
      this.options.clientId,
      undefined,
      authenticate,
    );
    config[client.customFetch] = (url, init) => outboundFetch(url, init as RequestInit);
    if (isLoopbackHttp(this.options.authorityUrl)) client.allowInsecureRequests(config);
    return { client, config };
  }

  async authorizationUrl(request: { tenantId: string; state: string; nonce: string; codeChallenge: string }): Promise<string> {
    const { client, config } = await this.configuration(request.tenantId);
    return client
      .buildAuthorizationUrl(config, {
        redirect_uri: this.options.redirectUri,
        scope: 'openid profile',
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
        state: request.state,
        nonce: request.nonce,
        // Pick the account each time: onboarding is an administrator's deliberate act.
        prompt: 'select_account',
      })
      .toString();
  }

  async redeem(request: { tenantId: string; callbackUrl: URL; codeVerifier: string; state: string; nonce: string }): Promise<SignedInAdmin> {
    const { client, config } = await this.configuration(request.tenantId);
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, request.callbackUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims() as Record<string, unknown> | undefined;
    } catch (error) {
      if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
        throw new AdminSignInError(`The authority refused the sign-in (${error.error}).`, error.error);
      }
      if (error instanceof client.ClientError) throw new AdminSignInError(`The sign-in response was not valid: ${error.message}.`);
      throw error;
    }
    if (!claims) throw new AdminSignInError('The authority returned no id token.');
    const tenantId = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : '';
    if (tenantId !== request.tenantId.toLowerCase()) throw new AdminSignInError('The id token names another tenant than the one onboarding was started for.');
    const objectId = typeof claims.oid === 'string' ? claims.oid.toLowerCase() : '';
    if (!objectId) throw new AdminSignInError('The id token has no oid claim.');
    return {
      tenantId,
      objectId,
      userPrincipalName: typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined,
      displayName: typeof claims.name === 'string' ? claims.name : undefined,
      wids: strings(claims.wids).map((wid) => wid.toLowerCase()),
      roles: strings(claims.roles),
    };
  }
}
