import * as oauth from 'oauth4webapi';

/**
 * Sign-in for the admin center: authorization code + PKCE (S256) + nonce in the browser, as a public
 * client (the PIN reset client app, redirect `<base>/portal/`), against the authority the service
 * publishes at `GET /signin-configuration`. The protocol work is oauth4webapi's; this module only
 * keeps the session: tokens live in sessionStorage (this tab only, gone when it closes) and never in
 * the URL once the redirect is handled.
 */

import type { SignInConfiguration } from '../../shared/contract/sign-in.js';

export type { SignInConfiguration };

export interface SignedInUser {
  name: string;
  username: string;
  tenantId: string;
  objectId: string;
}

interface StoredSession {
  accessToken: string;
  refreshToken: string | undefined;
  /** Epoch milliseconds. */
  expiresAt: number;
  user: SignedInUser;
}

interface PendingSignIn {
  codeVerifier: string;
  state: string;
  nonce: string;
  /** Where the admin was (path + query below /portal/), restored after the redirect. */
  returnTo: string;
}

const SESSION_KEY = 'pinreset.portal.session';
const PENDING_KEY = 'pinreset.portal.pendingSignIn';
/** Refresh a little before expiry so a request never leaves with a token about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * Entra's multi-tenant metadata (`/organizations`, `/common`) names the issuer with a `{tenantid}`
 * placeholder; oauth4webapi exposes this hook (as openid-client uses it) to check the id token's
 * issuer against the placeholder filled with the token's own `tid`.
 */
const expectedIssuerHook = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;
const noDiscoveryCheck = (oauth as unknown as { _nodiscoverycheck: URL })._nodiscoverycheck;

export class SignInError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The service's own base URL: the page is served at `<base>/portal/`. */
export function serviceBaseUrl(): string {
  return new URL('..', new URL(import.meta.env.BASE_URL, window.location.origin)).href.replace(/\/$/, '');
}

export function portalUrl(): string {
  return `${serviceBaseUrl()}/portal/`;
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

export class Session {
  private configuration: Promise<{ as: oauth.AuthorizationServer; client: oauth.Client; config: SignInConfiguration; insecure: boolean }> | undefined;
  private refreshing: Promise<string | undefined> | undefined;

  /** Reads `/signin-configuration` and the authority's OpenID metadata once per page load. */
  private setup() {
    this.configuration ??= (async () => {
      const response = await fetch(`${serviceBaseUrl()}/signin-configuration`, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new SignInError(`The service did not say where to sign in (GET /signin-configuration answered ${response.status}).`, undefined);
      const config = (await response.json()) as SignInConfiguration;
      const issuer = new URL(`${config.authority}/${config.tenant}/v2.0`);
      // Plain http only for a development authority on this machine.
      const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
      const discovery = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: insecure });
      const metadata = await oauth.processDiscoveryResponse(noDiscoveryCheck, discovery);
      let as: oauth.AuthorizationServer = metadata;
      if (metadata.issuer.includes('{tenantid}')) {
        as = {
          ...metadata,
          [expectedIssuerHook]: (result: { claims: { tid?: unknown } }) => metadata.issuer.replace('{tenantid}', String(result.claims.tid)),
        } as oauth.AuthorizationServer;
      } else if (new URL(metadata.issuer).href !== issuer.href) {
        throw new SignInError(`The authority's metadata names issuer ${metadata.issuer}, not ${issuer.href}.`, undefined);
      }
      return { as, client: { client_id: config.clientId }, config, insecure };
    })();
    this.configuration.catch(() => {
      this.configuration = undefined;
    });
    return this.configuration;
  }

  get user(): SignedInUser | undefined {
    return this.stored()?.user;
  }

  private stored(): StoredSession | undefined {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as StoredSession;
    } catch {
      sessionStorage.removeItem(SESSION_KEY);
      return undefined;
    }
  }

  /**
   * Sends the browser to the authority. `claims` is a claims challenge from a 401 (MFA step-up);
   * `returnTo` is where to come back to (defaults to the current page), kept in sessionStorage.
   */
  async signIn(options: { claims?: string; returnTo?: string; prompt?: string; loginHint?: string } = {}): Promise<never> {
    const { as, client, config } = await this.setup();
    if (!as.authorization_endpoint) throw new SignInError('The authority has no authorization endpoint.', undefined);
    const pending: PendingSignIn = {
      codeVerifier: oauth.generateRandomCodeVerifier(),
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      returnTo: options.returnTo ?? currentRoute(),
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', client.client_id);
    url.searchParams.set('redirect_uri', portalUrl());
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('response_mode', 'query');
    url.searchParams.set('scope', ['openid', 'profile', 'offline_access', ...config.scopes].join(' '));
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    if (options.claims) url.searchParams.set('claims', options.claims);
    if (options.prompt) url.searchParams.set('prompt', options.prompt);
    const hint = options.loginHint ?? this.user?.username;
    if (hint) url.searchParams.set('login_hint', hint);
    window.location.assign(url.href);
    // The page is leaving; nothing after this runs.
    return new Promise<never>(() => {});
  }

  /**
   * On the redirect back (`?code=…&state=…` or `?error=…`): redeems the code and restores the admin's
   * place. Returns undefined when this load is not a sign-in redirect.
   */
  async completeRedirect(): Promise<{ returnTo: string } | undefined> {
    const current = new URL(window.location.href);
    if (!current.searchParams.has('state') || !(current.searchParams.has('code') || current.searchParams.has('error'))) return undefined;
    const rawPending = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    // Whatever happens next, the code and state leave the address bar and the history entry.
    window.history.replaceState(null, '', portalUrl());
    if (!rawPending) throw new SignInError('This sign-in answer does not belong to a sign-in started in this tab. Sign in again.', 'unknown_state');
    const pending = JSON.parse(rawPending) as PendingSignIn;
    const { as, client, insecure } = await this.setup();
    let parameters: URLSearchParams;
    try {
      parameters = oauth.validateAuthResponse(as, client, current, pending.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        throw new SignInError(error.error_description ?? error.error, error.error);
      }
      throw new SignInError(`The sign-in answer was not valid: ${(error as Error).message}`, undefined);
    }
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, portalUrl(), pending.codeVerifier, {
      [oauth.allowInsecureRequests]: insecure,
    });
    let result: oauth.TokenEndpointResponse;
    try {
      result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) throw new SignInError(error.error_description ?? error.error, error.error);
      throw error;
    }
    this.save(result, undefined);
    window.history.replaceState(null, '', `${portalUrl()}${pending.returnTo}`);
    return { returnTo: pending.returnTo };
  }

  private save(result: oauth.TokenEndpointResponse, previous: StoredSession | undefined): void {
    const claims = oauth.getValidatedIdTokenClaims(result);
    const user: SignedInUser | undefined = claims
      ? {
          name: String(claims.name ?? claims.preferred_username ?? claims.sub),
          username: String(claims.preferred_username ?? ''),
          tenantId: String(claims.tid ?? ''),
          objectId: String(claims.oid ?? claims.sub),
        }
      : previous?.user;
    if (!user) throw new SignInError('The authority returned no id token.', undefined);
    const session: StoredSession = {
      accessToken: result.access_token,
      refreshToken: result.refresh_token ?? previous?.refreshToken,
      expiresAt: Date.now() + (result.expires_in ?? 3600) * 1000,
      user,
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  }

  /** A valid access token, refreshed (with rotation) when it is about to expire; undefined when signed out. */
  async accessToken(options: { forceRefresh?: boolean } = {}): Promise<string | undefined> {
    const session = this.stored();
    if (!session) return undefined;
    if (!options.forceRefresh && session.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return session.accessToken;
    if (!session.refreshToken) return undefined;
    this.refreshing ??= this.refresh(session).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(session: StoredSession): Promise<string | undefined> {
    const { as, client, insecure } = await this.setup();
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), session.refreshToken ?? '', { [oauth.allowInsecureRequests]: insecure });
      const result = await oauth.processRefreshTokenResponse(as, client, response);
      this.save(result, session);
      return result.access_token;
    } catch {
      // An expired or revoked refresh token: the caller signs in again (keeping the admin's place).
      sessionStorage.removeItem(SESSION_KEY);
      return undefined;
    }
  }

  signOut(): void {
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(PENDING_KEY);
  }
}

/** The current route below /portal/ (path + query), e.g. `devices/1234?x=y`. */
export function currentRoute(): string {
  const base = new URL(portalUrl()).pathname;
  const path = window.location.pathname.startsWith(base) ? window.location.pathname.slice(base.length) : '';
  return `${path}${window.location.search}`;
}
