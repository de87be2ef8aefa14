import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

/**
 * Signing in to the configured authority (Entra ID, or the service's development authority) as the
 * PIN reset client app, a public client: device code flow, or authorization code + PKCE with a
 * loopback redirect (RFC 8252), and refresh-token rotation. All protocol work is panva's
 * `openid-client`; this module only chooses the parameters and shapes the results.
 */

/** Where and as whom to sign in: what `GET /signin-configuration` answers, possibly overridden. */
export interface SignInSettings {
  /** Scheme + host (+ path), no trailing slash, e.g. https://login.microsoftonline.com. */
  authority: string;
  /** A tenant id or domain, `organizations` or `common`. */
  tenant: string;
  clientId: string;
  /** The service's delegated scope(s), e.g. `api://<service app id>/user_impersonation`. */
  scopes: string[];
}

/** `GET /signin-configuration` of the service. */
export type { SignInConfiguration } from '../../shared/contract/sign-in.js';

/** The OAuth scopes added to the service's own: an id token and a refresh token. */
export const OIDC_SCOPES = ['openid', 'profile', 'offline_access'] as const;

export interface TokenSet {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** The scopes the authority granted (space-separated), when it says. */
  scope: string | undefined;
}

/** A sign-in that could not complete; `error` is the OAuth error code when the authority gave one. */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly error: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SignInError';
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain http is allowed only to a loopback authority (the development authority of a local host). */
export function isLoopbackHttp(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
}

export function issuerUrlOf(settings: Pick<SignInSettings, 'authority' | 'tenant'>): string {
  return `${settings.authority.replace(/\/+$/, '')}/${encodeURIComponent(settings.tenant)}/v2.0`;
}

/** The settings' OpenID configuration plus whether an id token can be validated against it. */
interface Discovered {
  config: oidc.Configuration;
  /** False for a multi-tenant authority whose issuer is a `{tenantid}` template openid-client cannot check. */
  oidc: boolean;
}

/**
 * OpenID Connect discovery of `<authority>/<tenant>/v2.0`. openid-client checks that the discovered
 * issuer is that URL. Entra's differs in two documented ways, which openid-client accepts on
 * login.microsoftonline.com only: a tenant named by domain has its GUID in the issuer, and the
 * multi-tenant endpoints (`organizations`, `common`) publish a `{tenantid}` template. Elsewhere
 * (sovereign clouds, the development authority) the metadata is read from its well-known URL: a
 * concrete issuer is then what id tokens are checked against; with a template the sign-in asks for no
 * id token (plain OAuth 2.0: the access token names the user).
 */
async function discover(settings: SignInSettings): Promise<Discovered> {
  const issuer = issuerUrlOf(settings);
  let insecure = false;
  if (new URL(issuer).protocol !== 'https:') {
    if (!isLoopbackHttp(issuer))
      throw new SignInError(`Refusing to sign in over plain http to ${settings.authority}: only a loopback development authority may use http.`, undefined);
    insecure = true;
  }
  const options: oidc.DiscoveryRequestOptions = insecure ? { execute: [oidc.allowInsecureRequests] } : {};
  try {
    return { config: await oidc.discovery(new URL(issuer), settings.clientId, undefined, oidc.None(), options), oidc: true };
  } catch (error) {
    const issuerDiffers = error instanceof oidc.ClientError && error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
    if (!issuerDiffers) throw signInErrorOf(error, `OpenID discovery at ${issuer} failed`);
  }
  try {
    const config = await oidc.discovery(new URL(`${issuer}/.well-known/openid-configuration`), settings.clientId, undefined, oidc.None(), options);
    return { config, oidc: !config.serverMetadata().issuer.includes('{tenantid}') };
  } catch (error) {
    throw signInErrorOf(error, `OpenID discovery at ${issuer} failed`);
  }
}

function scopeOf(settings: SignInSettings, discovered: Discovered): string {
  const protocol = discovered.oidc ? OIDC_SCOPES : OIDC_SCOPES.filter((scope) => scope === 'offline_access');
  return [...settings.scopes, ...protocol].join(' ');
}

function tokenSetOf(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, previousRefreshToken?: string): TokenSet {
  const expiresIn = response.expiresIn();
  return {
    accessToken: response.access_token,
    expiresAt: Date.now() + (expiresIn ?? 3600) * 1000,
    // Rotation: keep the new refresh token; an authority that does not rotate leaves the old one valid.
    refreshToken: response.refresh_token ?? previousRefreshToken,
    idToken: response.id_token,
    scope: response.scope,
  };
}

/** Turns openid-client's errors into a SignInError carrying the OAuth error code. */
function signInErrorOf(error: unknown, context: string): SignInError {
  if (error instanceof SignInError) return error;
  if (error instanceof oidc.ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description.split(/\r?\n/)[0]}` : '';
    return new SignInError(`${context}: ${error.error}${description}`, error.error, { cause: error });
  }
  if (error instanceof oidc.AuthorizationResponseError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new SignInError(`${context}: ${error.error}${description}`, error.error, { cause: error });
  }
  const message =
    error instanceof Error ? (error.cause instanceof Error && error.message === 'something went wrong' ? error.cause.message : error.message) : String(error);
  return new SignInError(`${context}: ${message}`, undefined, { cause: error });
}

/** What the user must do to finish a device code sign-in. */
export interface DeviceCodePrompt {
  verificationUri: string;
  verificationUriComplete: string | undefined;
  userCode: string;
  expiresInSeconds: number;
  /** The authority's own instruction, when it gives one (Entra does). */
  message: string | undefined;
}

export interface InteractiveOptions {
  /** The service's claims challenge (base64 JSON, from WWW-Authenticate), for an MFA step-up. */
  claims?: string | undefined;
  signal?: AbortSignal;
}

/** RFC 8628 device authorization grant: shows the code through `prompt`, then polls until the user acts. */
export async function signInWithDeviceCode(
  settings: SignInSettings,
  prompt: (prompt: DeviceCodePrompt) => void,
  options: InteractiveOptions = {},
): Promise<TokenSet> {
  const discovered = await discover(settings);
  const parameters: Record<string, string> = { scope: scopeOf(settings, discovered) };
  if (options.claims) parameters.claims = claimsParameter(options.claims);
  try {
    const authorization = await oidc.initiateDeviceAuthorization(discovered.config, parameters);
    prompt({
      verificationUri: authorization.verification_uri,
      verificationUriComplete: authorization.verification_uri_complete,
      userCode: authorization.user_code,
      expiresInSeconds: authorization.expires_in,
      message: typeof authorization.message === 'string' ? authorization.message : undefined,
    });
    const response = await oidc.pollDeviceAuthorizationGrant(
      discovered.config,
      authorization,
      undefined,
      options.signal ? { signal: options.signal } : undefined,
    );
    return tokenSetOf(response);
  } catch (error) {
    throw signInErrorOf(error, 'Device code sign-in failed');
  }
}

/**
 * The `claims` request parameter is JSON; the service's challenge is that JSON in base64 (as Entra's
 * `WWW-Authenticate` carries it). Accept either.
 */
export function claimsParameter(challenge: string): string {
  const trimmed = challenge.trim();
  if (trimmed.startsWith('{')) return trimmed;
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

export interface BrowserSignInOptions extends InteractiveOptions {
  /** Shows the authorization URL to the user (and opens a browser when there is one). */
  open(url: string): void;
  /** How long to wait for the browser to come back (default 5 minutes). */
  timeoutMs?: number;
}

const LOOPBACK_PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head><body><main><h1>${title}</h1><p>${text}</p></main></body></html>`;

/**
 * Authorization code + PKCE (S256) with a loopback redirect, as the Azure CLI does: a one-shot HTTP
 * server on 127.0.0.1 and a random port receives the redirect; state and nonce are checked.
 */
export async function signInWithBrowser(settings: SignInSettings, options: BrowserSignInOptions): Promise<TokenSet> {
  const discovered = await discover(settings);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = discovered.oidc ? oidc.randomNonce() : undefined;
  const { server, redirectUri, callback } = await loopbackReceiver(options.timeoutMs ?? 300_000, options.signal);
  try {
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: scopeOf(settings, discovered),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'select_account',
    };
    if (nonce) parameters.nonce = nonce;
    if (options.claims) parameters.claims = claimsParameter(options.claims);
    options.open(oidc.buildAuthorizationUrl(discovered.config, parameters).href);
    const currentUrl = await callback;
    try {
      const response = await oidc.authorizationCodeGrant(discovered.config, currentUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        ...(nonce ? { expectedNonce: nonce, idTokenExpected: true } : {}),
      });
      return tokenSetOf(response);
    } catch (error) {
      throw signInErrorOf(error, 'Browser sign-in failed');
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Listens on 127.0.0.1:<random port> for the single redirect back from the authority. */
async function loopbackReceiver(timeoutMs: number, signal: AbortSignal | undefined): Promise<{ server: Server; redirectUri: string; callback: Promise<URL> }> {
  let settle!: { resolve: (url: URL) => void; reject: (error: Error) => void };
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  let redirectUri = '';
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (url.pathname !== '/' || !(url.searchParams.has('code') || url.searchParams.has('error'))) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const failed = url.searchParams.get('error');
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(
        failed
          ? LOOPBACK_PAGE('Sign-in failed', 'The sign-in did not complete. Return to the terminal for details.')
          : LOOPBACK_PAGE('Signed in', 'pinreset-agent is signed in. You can close this window and return to the terminal.'),
      );
    settle.resolve(url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const timer = setTimeout(
    () => settle.reject(new SignInError(`Browser sign-in timed out after ${Math.round(timeoutMs / 1000)} s: nothing came back to ${redirectUri}.`, 'timeout')),
    timeoutMs,
  );
  timer.unref();
  signal?.addEventListener('abort', () => settle.reject(new SignInError('Browser sign-in was aborted.', 'aborted')), { once: true });
  void callback.finally(() => clearTimeout(timer)).catch(() => {});
  return { server, redirectUri, callback };
}

/** Refresh-token grant (Entra rotates the refresh token: the new one replaces the old). */
export async function refreshSignIn(settings: SignInSettings, refreshToken: string): Promise<TokenSet> {
  const discovered = await discover(settings);
  try {
    const response = await oidc.refreshTokenGrant(discovered.config, refreshToken, { scope: scopeOf(settings, discovered) });
    return tokenSetOf(response, refreshToken);
  } catch (error) {
    throw signInErrorOf(error, 'Refreshing the sign-in failed');
  }
}
