import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DEV_CLIENT_SECRET } from '../identity/app-token-provider.js';
import { isGuid } from '../domain/tenant.js';
import { clientById, isAllowedRedirect, type RegisteredClient } from './authority-clients.js';
import { authorityErrorPage, codeEntryPage, deviceResultPage, mfaPage, signInPage, userConsentPage } from './authority-pages.js';
import { ExpiringStore } from './expiring-store.js';
import { isOwnFormSubmission } from './form-origin.js';
import { oauthError, oauthErrorResponse, type OAuthError } from './oauth-errors.js';
import type { SimulatedUser } from './simulated-directory.js';
import type { MicrosoftSimulation, SimulationSettings } from './simulation.js';

/**
 * The development authority: a stand-in for the Microsoft identity platform v2.0 endpoints under
 * `${authorityUrl}` (development mode: `${publicBaseUrl}/dev/login`), laid out like
 * login.microsoftonline.com:
 *
 * - `/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/discovery/v2.0/keys`
 * - `/{tenant}/oauth2/v2.0/authorize`: sign-in page (pick or create a user of the simulated
 *   directory), an MFA step when the `claims` parameter asks for it (or the user ticks it), user
 *   consent when the app has no service principal in the user's tenant; then 302 to the redirect
 *   URI with a single-use code (PKCE S256 required)
 * - `/{tenant}/oauth2/v2.0/devicecode` and its verification page `/devicelogin`
 * - `/{tenant}/oauth2/v2.0/token`: authorization_code, refresh_token (rotating), device_code,
 *   client_credentials
 *
 * `{tenant}` is a tenant id, a domain of a tenant the directory knows, `organizations` or `common`.
 * The same object answers the browser (route table, functions/dev-login.ts) and the service's own
 * server-side calls (MSW handlers), so state is shared. State lives in memory, bounded and expiring.
 */

const AUTH_CODE_TTL_MS = 10 * 60_000;
const DEVICE_CODE_TTL_SECONDS = 15 * 60;
const INTERACTION_TTL_MS = 30 * 60_000;
const REFRESH_TOKEN_TTL_MS = 24 * 60 * 60_000;
const ACCESS_TOKEN_SECONDS = 3600;
/** Entra says 5; the simulation polls faster so that scripts and tests do not wait. */
export const DEVICE_POLL_INTERVAL_SECONDS = 1;
/** A poll this much earlier than the interval is still accepted (timers are not exact). */
const POLL_TOLERANCE_MS = 250;
const MAX_ENTRIES = 10_000;

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const MULTI_TENANT = new Set(['organizations', 'common']);

/** What a `claims` request parameter asks of the sign-in. */
interface ClaimsDemand {
  mfa: boolean;
  acrs: string[];
}

/** Who signed in, and how: what every token of the sign-in carries. */
interface Authentication {
  userId: string;
  tenantId: string;
  amr: string[];
  acrs: string[];
  /** Seconds since the epoch. */
  authTime: number;
}

interface Grant extends Authentication {
  clientId: string;
  scopes: string[];
  /** Refresh tokens of one sign-in form a family: a replayed one revokes them all. */
  family: string;
}

interface AuthorizationCode {
  grant: Grant;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  used: boolean;
}

interface DeviceAuthorization {
  clientId: string;
  userCode: string;
  scopes: string[];
  tenantSegment: string;
  demand: ClaimsDemand;
  intervalSeconds: number;
  lastPollAt: number | undefined;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  grant?: Grant;
}

interface RefreshToken {
  grant: Grant;
  used: boolean;
}

/**
 * What a restart must not forget (Entra keeps refresh tokens): the refresh tokens, keyed by their
 * SHA-256 (never the tokens themselves), and the revoked sign-in families.
 */
export interface RefreshTokenSnapshot {
  refreshTokens: [hash: string, token: RefreshToken, expiresAt: number][];
  revokedFamilies: [family: string, revoked: true, expiresAt: number][];
}

interface Interaction {
  id: string;
  kind: 'authorize' | 'device';
  clientId: string;
  fixedTenantId: string | undefined;
  scopes: string[];
  demand: ClaimsDemand;
  forceConsent: boolean;
  authorize?: { redirectUri: string; state: string | null; nonce: string | undefined; codeChallenge: string };
  deviceKey?: string;
  step: 'signin' | 'mfa' | 'consent';
  userId?: string;
  wantsMfa: boolean;
}

type TenantSegment = { kind: 'multi'; segment: string } | { kind: 'tenant'; id: string };

type ScopeRequest = { ok: true; resource: 'service' | 'graph'; scp: string[]; oidc: Set<string>; granted: string } | { ok: false; error: OAuthError };

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

/** Entra's user codes: nine letters and digits without look-alikes. */
function newUserCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(9)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function normalizeUserCode(value: string): string {
  return value.replace(/[\s-]/g, '').toUpperCase();
}

/** The `claims` parameter: JSON (Entra) or the base64 of it (as a 401 challenge carries it). */
export function parseClaimsDemand(raw: string | null): ClaimsDemand | undefined {
  if (raw === null || raw.trim() === '') return { mfa: false, acrs: [] };
  let parsed: unknown;
  for (const candidate of [raw, Buffer.from(raw, 'base64').toString('utf8')]) {
    try {
      parsed = JSON.parse(candidate);
      break;
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const accessToken = (parsed as { access_token?: Record<string, { values?: unknown; value?: unknown }> }).access_token ?? {};
  const amr = accessToken.amr?.values;
  const mfa = Array.isArray(amr) && amr.some((value) => value === 'mfa' || value === 'ngcmfa');
  const acrsValues = accessToken.acrs?.values ?? (accessToken.acrs?.value === undefined ? [] : [accessToken.acrs.value]);
  const acrs = Array.isArray(acrsValues) ? acrsValues.filter((value): value is string => typeof value === 'string' && /^[A-Za-z0-9]{1,16}$/.test(value)) : [];
  return { mfa: mfa || acrs.length > 0, acrs };
}

function isOAuthError(value: object): value is OAuthError {
  return typeof (value as { aadsts?: unknown }).aadsts === 'number';
}

function html(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      // Browsers apply form-action to the redirects that follow a form POST too: the authorize flow's
      // last 302 goes to the app's redirect URI, which for the client app is a loopback listener on any
      // port (pinreset-agent login --browser, RFC 8252). Without those sources Chromium aborts it.
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    },
  });
}

function json(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } });
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } });
}

export class DevAuthority {
  private now: () => number = Date.now;
  private readonly interactions = new ExpiringStore<Interaction>(MAX_ENTRIES, () => this.now());
  private readonly codes = new ExpiringStore<AuthorizationCode>(MAX_ENTRIES, () => this.now());
  private readonly devices = new ExpiringStore<DeviceAuthorization>(MAX_ENTRIES, () => this.now());
  private readonly userCodes = new ExpiringStore<string>(MAX_ENTRIES, () => this.now());
  private readonly refreshTokens = new ExpiringStore<RefreshToken>(MAX_ENTRIES, () => this.now());
  private readonly revokedFamilies = new ExpiringStore<true>(MAX_ENTRIES, () => this.now());

  /** Called after every change of the refresh tokens (`npm start` persists them). */
  onRefreshTokensChange: (() => void) | undefined;

  constructor(private readonly simulation: MicrosoftSimulation) {}

  refreshTokenSnapshot(): RefreshTokenSnapshot {
    return { refreshTokens: this.refreshTokens.snapshot(), revokedFamilies: this.revokedFamilies.snapshot() };
  }

  restoreRefreshTokens(snapshot: RefreshTokenSnapshot): void {
    this.refreshTokens.restore(snapshot.refreshTokens);
    this.revokedFamilies.restore(snapshot.revokedFamilies);
  }

  /** Tests move the authority's clock (expiry of device codes, codes, refresh tokens). */
  useClock(now: () => number): void {
    this.now = now;
  }

  private get settings(): SimulationSettings {
    return this.simulation.settings;
  }

  private get authorityUrl(): string {
    return this.simulation.authorityUrl;
  }

  /** A request addressed to `${authorityUrl}/...` (MSW, in-process), or undefined for any other URL. */
  async handleFetch(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    const base = new URL(this.authorityUrl);
    const prefix = base.pathname.replace(/\/+$/, '');
    if (url.origin !== base.origin || !url.pathname.toLowerCase().startsWith(`${prefix.toLowerCase()}/`)) return undefined;
    return this.handle(request, url.pathname.slice(prefix.length));
  }

  /**
   * One request; `path` is the part after the authority's own path (e.g. `/common/oauth2/v2.0/token`).
   * Undefined when the path is not one of the authority's endpoints.
   */
  async handle(request: Request, path: string): Promise<Response | undefined> {
    const method = request.method.toUpperCase();
    const segments = path.split('/').filter(Boolean);
    if (segments.length === 1 && segments[0]?.toLowerCase() === 'devicelogin') {
      if (method === 'GET') return html(200, codeEntryPage(new URL(request.url).pathname));
      if (method === 'POST') return this.postDeviceLogin(request);
      return undefined;
    }
    const [tenant = '', ...rest] = segments;
    const endpoint = rest.join('/').toLowerCase();
    switch (`${method} ${endpoint}`) {
      case 'GET v2.0/.well-known/openid-configuration':
        return this.discovery(tenant);
      case 'GET discovery/v2.0/keys':
      case 'GET discovery/keys':
        return json(await this.simulation.signer.jwks(this.authorityUrl), { 'Cache-Control': 'max-age=300' });
      case 'GET oauth2/v2.0/authorize':
        return this.authorize(request, tenant);
      case 'POST oauth2/v2.0/authorize':
        return this.postInteraction(request);
      case 'POST oauth2/v2.0/devicecode':
        return this.deviceCode(request, tenant);
      case 'POST oauth2/v2.0/token':
        return this.token(request, tenant);
      default:
        return undefined;
    }
  }

  // ---- discovery -------------------------------------------------------------------------------

  private resolveTenant(segment: string): TenantSegment | undefined {
    const value = segment.toLowerCase();
    if (MULTI_TENANT.has(value)) return { kind: 'multi', segment: value };
    const id = this.simulation.directory.resolve(value);
    return id ? { kind: 'tenant', id } : undefined;
  }

  private unknownTenant(segment: string): OAuthError {
    return oauthError(
      'invalid_tenant',
      90002,
      `Tenant '${segment.slice(0, 64)}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }

  private discovery(segment: string): Response {
    const tenant = this.resolveTenant(segment);
    if (!tenant) return oauthErrorResponse(this.unknownTenant(segment));
    const path = tenant.kind === 'tenant' ? tenant.id : tenant.segment;
    const issuerTenant = tenant.kind === 'tenant' ? tenant.id : '{tenantid}';
    const base = `${this.authorityUrl}/${path}`;
    return json(
      {
        issuer: `${this.authorityUrl}/${issuerTenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT, 'client_credentials'],
        claims_parameter_supported: true,
        request_uri_parameter_supported: false,
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'amr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'oid',
          'ver',
          'wids',
          'roles',
          'acrs',
        ],
        tenant_region_scope: null,
        cloud_instance_name: new URL(this.authorityUrl).host,
      },
      { 'Cache-Control': 'max-age=300' },
    );
  }

  // ---- scopes ----------------------------------------------------------------------------------

  private parseScopes(raw: string | null): ScopeRequest {
    const settings = this.settings;
    const scopes = (raw ?? '').split(/\s+/).filter(Boolean);
    const oidc = new Set(scopes.filter((scope) => OIDC_SCOPES.has(scope.toLowerCase())).map((scope) => scope.toLowerCase()));
    const prefixes = [`${settings.serviceAppIdUri}/`, `api://${settings.serviceAppId}/`, `${settings.serviceAppId}/`].map((prefix) => prefix.toLowerCase());
    const service: string[] = [];
    const graph: string[] = [];
    for (const scope of scopes) {
      if (OIDC_SCOPES.has(scope.toLowerCase())) continue;
      const lower = scope.toLowerCase();
      const prefix = prefixes.find((candidate) => lower.startsWith(candidate));
      if (prefix) {
        const name = scope.slice(prefix.length);
        if (name !== 'user_impersonation' && name !== '.default') {
          return {
            ok: false,
            error: oauthError(
              'invalid_scope',
              65005,
              `The application asked for scope '${scope}' that doesn't exist on the resource '${settings.serviceAppId}'.`,
            ),
          };
        }
        service.push(scope);
      } else if (/^https:\/\/graph\.microsoft\.(com|us)\//i.test(scope) || /^[A-Za-z]+\.[A-Za-z.]+$/.test(scope)) {
        graph.push(scope);
      } else {
        return {
          ok: false,
          error: oauthError(
            'invalid_scope',
            70011,
            `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: '${scope.slice(0, 200)}'.`,
          ),
        };
      }
    }
    if (service.length > 0 && graph.length > 0) {
      return {
        ok: false,
        error: oauthError('invalid_scope', 28000, 'Provided value for the input parameter scope is not valid because it contains more than one resource.'),
      };
    }
    if (service.length === 0 && graph.length === 0 && oidc.size === 0) {
      return { ok: false, error: oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.") };
    }
    const offline = oidc.has('offline_access') ? ['offline_access'] : [];
    const identity = [...oidc].filter((scope) => scope !== 'offline_access');
    if (service.length > 0) {
      return {
        ok: true,
        resource: 'service',
        scp: ['user_impersonation'],
        oidc,
        granted: [`${settings.serviceAppIdUri}/user_impersonation`, ...identity, ...offline].join(' '),
      };
    }
    return { ok: true, resource: 'graph', scp: ['openid', 'profile', 'email', 'User.Read'], oidc, granted: ['User.Read', ...identity, ...offline].join(' ') };
  }

  // ---- authorization endpoint -------------------------------------------------------------------

  private authorize(request: Request, segment: string): Response {
    const query = new URL(request.url).searchParams;
    const tenant = this.resolveTenant(segment);
    if (!tenant) {
      const error = this.unknownTenant(segment);
      return html(400, authorityErrorPage('Sign-in failed', `AADSTS${error.aadsts}: ${error.description}`));
    }
    const client = clientById(this.settings, query.get('client_id'));
    if (!client) {
      return html(
        400,
        authorityErrorPage(
          'Application not found',
          `AADSTS700016: Application with identifier '${(query.get('client_id') ?? '').slice(0, 64)}' was not found in the directory.`,
        ),
      );
    }
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri || !isAllowedRedirect(client, redirectUri)) {
      return html(
        400,
        authorityErrorPage(
          'Sign-in failed',
          `AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application '${client.clientId}'.`,
        ),
      );
    }
    const state = query.get('state');
    const back = (error: OAuthError) => {
      const target = new URL(redirectUri);
      target.searchParams.set('error', error.error);
      target.searchParams.set('error_description', `AADSTS${error.aadsts}: ${error.description}`);
      if (state !== null) target.searchParams.set('state', state);
      return redirect(target.toString());
    };
    if (query.get('response_type') !== 'code') {
      return back(oauthError('unsupported_response_type', 700054, "response_type must be 'code'."));
    }
    const responseMode = query.get('response_mode');
    if (responseMode !== null && responseMode !== 'query') {
      return back(oauthError('invalid_request', 900144, "The development authority supports response_mode 'query' only."));
    }
    const codeChallenge = query.get('code_challenge');
    if (!codeChallenge || query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
      return back(oauthError('invalid_request', 501491, 'PKCE is required: code_challenge (S256, 43 characters) and code_challenge_method=S256.'));
    }
    const scopes = this.parseScopes(query.get('scope'));
    if (!scopes.ok) return back(scopes.error);
    const demand = parseClaimsDemand(query.get('claims'));
    if (!demand) return back(oauthError('invalid_request', 90019, "The 'claims' parameter is not valid JSON."));
    const prompt = query.get('prompt');
    if (prompt === 'none') return back(oauthError('login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'));
    const nonce = query.get('nonce') ?? undefined;
    const interaction: Interaction = {
      id: randomToken(24),
      kind: 'authorize',
      clientId: client.clientId,
      fixedTenantId: tenant.kind === 'tenant' ? tenant.id : undefined,
      scopes: (query.get('scope') ?? '').split(/\s+/).filter(Boolean),
      demand,
      forceConsent: prompt === 'consent',
      authorize: { redirectUri, state, nonce: nonce?.slice(0, 512), codeChallenge },
      step: 'signin',
      wantsMfa: false,
    };
    this.interactions.set(interaction.id, interaction, INTERACTION_TTL_MS);
    return this.renderStep(interaction, new URL(request.url).pathname);
  }

  // ---- the interactive pages (sign-in, MFA, consent) -------------------------------------------

  private ownOrigins(request: Request): string[] {
    return [new URL(this.settings.publicBaseUrl).origin, new URL(this.authorityUrl).origin, new URL(request.url).origin];
  }

  private refusedForm(): Response {
    return html(403, authorityErrorPage('Request refused', 'This form can only be submitted from the development sign-in pages themselves.'));
  }

  private renderStep(interaction: Interaction, action: string, error?: string, entered?: URLSearchParams): Response {
    const client = clientById(this.settings, interaction.clientId);
    const appName = client?.displayName ?? interaction.clientId;
    const user = interaction.userId ? this.simulation.directory.user(interaction.userId) : undefined;
    if (interaction.step === 'mfa' && user) return html(200, mfaPage(action, interaction.id, user));
    if (interaction.step === 'consent' && user) return html(200, userConsentPage(action, interaction.id, user, appName, interaction.scopes));
    return html(
      error ? 400 : 200,
      signInPage({
        action,
        interactionId: interaction.id,
        appName,
        tenantId: interaction.fixedTenantId,
        users: this.simulation.directory.listUsers(interaction.fixedTenantId),
        mfaRequired: interaction.demand.mfa,
        error,
        ...(entered ? { entered } : {}),
      }),
    );
  }

  private async formOf(request: Request): Promise<URLSearchParams> {
    const type = (request.headers.get('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
    return new URLSearchParams(await request.text());
  }

  private async postInteraction(request: Request): Promise<Response> {
    if (!isOwnFormSubmission(request.headers, this.ownOrigins(request))) return this.refusedForm();
    const form = await this.formOf(request);
    const interaction = this.interactions.get(form.get('interaction') ?? '');
    if (!interaction)
      return html(400, authorityErrorPage('Sign-in expired', 'AADSTS50089: This sign-in is unknown or expired. Start again from the application.'));
    return this.advance(interaction, form, new URL(request.url).pathname);
  }

  private async postDeviceLogin(request: Request): Promise<Response> {
    if (!isOwnFormSubmission(request.headers, this.ownOrigins(request))) return this.refusedForm();
    const form = await this.formOf(request);
    const action = new URL(request.url).pathname;
    if (form.get('step') !== 'code') {
      const interaction = this.interactions.get(form.get('interaction') ?? '');
      if (interaction?.kind !== 'device')
        return html(400, authorityErrorPage('Sign-in expired', 'AADSTS50089: This sign-in is unknown or expired. Enter the code again.'));
      return this.advance(interaction, form, action);
    }
    const deviceKey = this.userCodes.get(normalizeUserCode(form.get('otc') ?? ''));
    const device = deviceKey ? this.devices.get(deviceKey) : undefined;
    if (!deviceKey || !device || device.status !== 'pending') {
      return html(400, codeEntryPage(action, 'That code is not valid or has expired. Check the code and try again.'));
    }
    const tenant = this.resolveTenant(device.tenantSegment);
    const interaction: Interaction = {
      id: randomToken(24),
      kind: 'device',
      clientId: device.clientId,
      fixedTenantId: tenant?.kind === 'tenant' ? tenant.id : undefined,
      scopes: device.scopes,
      demand: device.demand,
      forceConsent: false,
      deviceKey,
      step: 'signin',
      wantsMfa: false,
    };
    this.interactions.set(interaction.id, interaction, INTERACTION_TTL_MS);
    return this.renderStep(interaction, action);
  }

  private async advance(interaction: Interaction, form: URLSearchParams, action: string): Promise<Response> {
    const step = form.get('step');
    if (step !== interaction.step) return this.renderStep(interaction, action);
    const directory = this.simulation.directory;

    if (step === 'signin') {
      if (form.get('action') === 'cancel') return this.deny(interaction, 'AADSTS50126: The user canceled the sign-in.');
      const upn = (form.get('userPrincipalName') ?? '').trim();
      let user: SimulatedUser | undefined;
      if (upn !== '') {
        if (!/^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,190}$/.test(upn))
          return this.renderStep(interaction, action, 'A user principal name looks like name@contoso.onmicrosoft.com.', form);
        const tenantId = (interaction.fixedTenantId ?? form.get('tenantId') ?? '').trim().toLowerCase();
        if (!isGuid(tenantId)) return this.renderStep(interaction, action, "Give the new user's tenant id (a GUID).", form);
        user = directory.saveUser({
          tenantId,
          displayName: (form.get('displayName') ?? '').slice(0, 128),
          userPrincipalName: upn,
          directoryRoles: form.getAll('directoryRoles').filter(isGuid),
          appRoles: form.getAll('appRoles').filter((role) => /^[A-Za-z.]{1,64}$/.test(role)),
        });
      } else {
        user = directory.user(form.get('user') ?? '');
        if (user && interaction.fixedTenantId && user.tenantId !== interaction.fixedTenantId) user = undefined;
        if (!user) return this.renderStep(interaction, action, 'Pick an account or create a user.', form);
      }
      interaction.userId = user.id;
      interaction.wantsMfa = form.get('mfa') === 'on';
      interaction.step = interaction.demand.mfa || interaction.wantsMfa ? 'mfa' : 'consent';
      return interaction.step === 'mfa' ? this.renderStep(interaction, action) : this.afterMfa(interaction, false, action);
    }

    if (step === 'mfa') {
      if (form.get('decision') !== 'approve')
        return this.deny(interaction, 'AADSTS500121: Authentication failed during strong authentication request (the user denied it).');
      return this.afterMfa(interaction, true, action);
    }

    // consent
    const user = interaction.userId ? directory.user(interaction.userId) : undefined;
    if (!user) return this.deny(interaction, 'AADSTS50089: The sign-in expired.');
    if (form.get('decision') !== 'accept') return this.deny(interaction, 'AADSTS65004: User declined to consent to access the app.');
    directory.grantUserConsent(user.id, interaction.clientId);
    return this.complete(interaction, user, interaction.wantsMfa || interaction.demand.mfa);
  }

  private afterMfa(interaction: Interaction, mfa: boolean, action: string): Response | Promise<Response> {
    const user = interaction.userId ? this.simulation.directory.user(interaction.userId) : undefined;
    if (!user) return this.deny(interaction, 'AADSTS50089: The sign-in expired.');
    const consented =
      this.simulation.directory.servicePrincipal(user.tenantId, interaction.clientId) !== undefined || user.consentedClientIds.includes(interaction.clientId);
    if (interaction.forceConsent || !consented) {
      interaction.step = 'consent';
      interaction.wantsMfa = mfa;
      return this.renderStep(interaction, action);
    }
    return this.complete(interaction, user, mfa);
  }

  private deny(interaction: Interaction, description: string): Response {
    this.interactions.delete(interaction.id);
    const client = clientById(this.settings, interaction.clientId);
    if (interaction.kind === 'device') {
      const device = interaction.deviceKey ? this.devices.get(interaction.deviceKey) : undefined;
      if (device && device.status === 'pending') device.status = 'denied';
      return html(200, deviceResultPage(client?.displayName ?? interaction.clientId, undefined, false));
    }
    const authorize = interaction.authorize!;
    const target = new URL(authorize.redirectUri);
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_description', description);
    if (authorize.state !== null) target.searchParams.set('state', authorize.state);
    return redirect(target.toString());
  }

  private complete(interaction: Interaction, user: SimulatedUser, mfa: boolean): Response {
    this.interactions.delete(interaction.id);
    const grant: Grant = {
      userId: user.id,
      tenantId: user.tenantId,
      amr: mfa ? ['pwd', 'mfa'] : ['pwd'],
      acrs: mfa ? interaction.demand.acrs : [],
      authTime: Math.floor(this.now() / 1000),
      clientId: interaction.clientId,
      scopes: interaction.scopes,
      family: randomToken(16),
    };
    const appName = clientById(this.settings, interaction.clientId)?.displayName ?? interaction.clientId;
    if (interaction.kind === 'device') {
      const device = interaction.deviceKey ? this.devices.get(interaction.deviceKey) : undefined;
      if (device?.status !== 'pending')
        return html(
          400,
          authorityErrorPage('Code expired', 'AADSTS70020: The device code expired or was already used. Start the sign-in on your device again.'),
        );
      device.status = 'approved';
      device.grant = grant;
      return html(200, deviceResultPage(appName, user, true));
    }
    const authorize = interaction.authorize!;
    const code = randomToken(48);
    this.codes.set(
      sha256(code),
      { grant, redirectUri: authorize.redirectUri, codeChallenge: authorize.codeChallenge, nonce: authorize.nonce, used: false },
      AUTH_CODE_TTL_MS,
    );
    const target = new URL(authorize.redirectUri);
    target.searchParams.set('code', code);
    if (authorize.state !== null) target.searchParams.set('state', authorize.state);
    return redirect(target.toString());
  }

  // ---- device authorization endpoint -----------------------------------------------------------

  private async deviceCode(request: Request, segment: string): Promise<Response> {
    const form = await this.formOf(request);
    const tenant = this.resolveTenant(segment);
    if (!tenant) return oauthErrorResponse(this.unknownTenant(segment));
    const client = clientById(this.settings, form.get('client_id'));
    if (!client)
      return oauthErrorResponse(
        oauthError(
          'unauthorized_client',
          700016,
          `Application with identifier '${(form.get('client_id') ?? '').slice(0, 64)}' was not found in the directory.`,
        ),
      );
    if (client.confidential)
      return oauthErrorResponse(
        oauthError(
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. The device code flow is for public clients.",
        ),
      );
    const scopes = this.parseScopes(form.get('scope'));
    if (!scopes.ok) return oauthErrorResponse(scopes.error);
    const demand = parseClaimsDemand(form.get('claims'));
    if (!demand) return oauthErrorResponse(oauthError('invalid_request', 90019, "The 'claims' parameter is not valid JSON."));
    const deviceCode = randomToken(48);
    const userCode = newUserCode();
    const key = sha256(deviceCode);
    this.devices.set(
      key,
      {
        clientId: client.clientId,
        userCode,
        scopes: (form.get('scope') ?? '').split(/\s+/).filter(Boolean),
        tenantSegment: tenant.kind === 'tenant' ? tenant.id : tenant.segment,
        demand,
        intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
        lastPollAt: undefined,
        status: 'pending',
      },
      DEVICE_CODE_TTL_SECONDS * 1000 + 60_000,
    );
    this.userCodes.set(userCode, key, DEVICE_CODE_TTL_SECONDS * 1000);
    const verificationUri = `${this.authorityUrl}/devicelogin`;
    return json(
      {
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
      },
      { 'Cache-Control': 'no-store' },
    );
  }

  // ---- token endpoint --------------------------------------------------------------------------

  private async token(request: Request, segment: string): Promise<Response> {
    const form = await this.formOf(request);
    const tenant = this.resolveTenant(segment);
    if (!tenant) return oauthErrorResponse(this.unknownTenant(segment));
    const grantType = form.get('grant_type');
    const client = this.authenticateClient(request, form);
    if (isOAuthError(client)) return oauthErrorResponse(client);
    let result: Record<string, unknown> | OAuthError;
    switch (grantType) {
      case 'authorization_code':
        result = await this.redeemCode(form, client, tenant);
        break;
      case 'refresh_token':
        result = await this.redeemRefreshToken(form, client, tenant);
        break;
      case DEVICE_CODE_GRANT:
        result = await this.redeemDeviceCode(form, client);
        break;
      case 'client_credentials':
        result = await this.clientCredentials(form, client, tenant);
        break;
      case null:
        result = oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
        break;
      default:
        result = oauthError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType.slice(0, 64)}'.`);
    }
    if (isOAuthError(result)) return oauthErrorResponse(result);
    return json(result, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  /** client_id, plus a secret (post or basic) or a client assertion for the confidential service app. */
  private authenticateClient(request: Request, form: URLSearchParams): RegisteredClient | OAuthError {
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (basic) {
      const [id, password] = Buffer.from(basic, 'base64')
        .toString('utf8')
        .split(':')
        .map((part) => decodeURIComponent(part));
      clientId ??= id ?? null;
      secret ??= password ?? null;
    }
    if (!clientId) return oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const client = clientById(this.settings, clientId);
    if (!client) return oauthError('unauthorized_client', 700016, `Application with identifier '${clientId.slice(0, 64)}' was not found in the directory.`);
    const assertion = form.get('client_assertion');
    if (!client.confidential) {
      if (secret || assertion)
        return oauthError('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
      return client;
    }
    if (assertion) {
      if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(assertion)) {
        return oauthError('invalid_client', 7000274, 'The client assertion is not a valid JWT bearer assertion.');
      }
      return client;
    }
    if (!secret) return oauthError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (!sameSecret(secret, DEV_CLIENT_SECRET))
      return oauthError(
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    return client;
  }

  private tenantMatches(tenant: TenantSegment, grant: Grant): boolean {
    return tenant.kind === 'multi' || tenant.id === grant.tenantId;
  }

  private revokeFamily(family: string): void {
    this.revokedFamilies.set(family, true, REFRESH_TOKEN_TTL_MS);
    this.onRefreshTokensChange?.();
  }

  private async redeemCode(form: URLSearchParams, client: RegisteredClient, tenant: TenantSegment): Promise<Record<string, unknown> | OAuthError> {
    const code = form.get('code');
    if (!code) return oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'code'.");
    const found = this.codes.getWithExpiry(sha256(code));
    if (!found) return oauthError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid: the authorization code is not known.');
    const stored = found.value;
    if (found.expired)
      return oauthError(
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    if (stored.used) {
      // A code presented twice: whoever holds it now must not keep what the first redemption got.
      this.revokeFamily(stored.grant.family);
      return oauthError(
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    stored.used = true;
    if (stored.grant.clientId !== client.clientId) return oauthError('invalid_grant', 70000, 'The provided authorization code was issued to another client.');
    if (form.get('redirect_uri') !== stored.redirectUri)
      return oauthError('invalid_grant', 70000, 'The redirect_uri does not match the redirect_uri the authorization code was issued to.');
    if (!this.tenantMatches(tenant, stored.grant)) return oauthError('invalid_grant', 70000, 'The authorization code was issued for another tenant.');
    const verifier = form.get('code_verifier');
    if (!verifier) return oauthError('invalid_request', 501491, "The request body must contain the following parameter: 'code_verifier' (PKCE is required).");
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || sha256(verifier) !== stored.codeChallenge) {
      return oauthError('invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.');
    }
    return this.issueTokens(stored.grant, stored.grant.scopes, stored.nonce);
  }

  private async redeemRefreshToken(form: URLSearchParams, client: RegisteredClient, tenant: TenantSegment): Promise<Record<string, unknown> | OAuthError> {
    const token = form.get('refresh_token');
    if (!token) return oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'refresh_token'.");
    const key = sha256(token);
    const stored = this.refreshTokens.get(key);
    if (!stored) return oauthError('invalid_grant', 9002313, 'Invalid request. The refresh token is malformed, unknown or expired.');
    if (stored.used || this.revokedFamilies.get(stored.grant.family)) {
      this.revokeFamily(stored.grant.family);
      return oauthError(
        'invalid_grant',
        70000,
        'The refresh token was already used: refresh tokens rotate, and a replayed one revokes the sign-in. Sign in again.',
      );
    }
    if (stored.grant.clientId !== client.clientId) return oauthError('invalid_grant', 70000, 'The refresh token was issued to another client.');
    if (!this.tenantMatches(tenant, stored.grant)) return oauthError('invalid_grant', 70000, 'The refresh token was issued for another tenant.');
    const demand = parseClaimsDemand(form.get('claims'));
    if (!demand) return oauthError('invalid_request', 90019, "The 'claims' parameter is not valid JSON.");
    if (demand.mfa) {
      // A claims challenge needs a fresh interactive MFA: the refresh token alone cannot satisfy it.
      return oauthError(
        'invalid_grant',
        50076,
        'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.',
        {
          suberror: 'basic_action',
          claims: JSON.stringify({
            access_token: {
              ...(demand.acrs.length ? { acrs: { essential: true, values: demand.acrs } } : { amr: { essential: true, values: ['mfa', 'ngcmfa'] } }),
            },
          }),
        },
      );
    }
    stored.used = true;
    this.onRefreshTokensChange?.();
    const requested = form.get('scope');
    const scopes = requested ? requested.split(/\s+/).filter(Boolean) : stored.grant.scopes;
    return this.issueTokens(stored.grant, scopes, undefined);
  }

  private async redeemDeviceCode(form: URLSearchParams, client: RegisteredClient): Promise<Record<string, unknown> | OAuthError> {
    const code = form.get('device_code');
    if (!code) return oauthError('invalid_request', 900144, "The request body must contain the following parameter: 'device_code'.");
    const key = sha256(code);
    const found = this.devices.getWithExpiry(key);
    if (!found) return oauthError('invalid_grant', 70000, 'The device code is not known.');
    const device = found.value;
    if (device.clientId !== client.clientId) return oauthError('invalid_grant', 70000, 'The device code was issued to another client.');
    const now = this.now();
    if (found.expired || (device.status === 'pending' && !this.userCodes.get(device.userCode))) {
      return oauthError('expired_token', 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
    }
    if (device.status === 'denied') return oauthError('access_denied', 70000, 'The user declined the sign-in on the device code page.');
    if (device.status === 'redeemed') return oauthError('invalid_grant', 54005, 'The device code was already redeemed.');
    if (device.status === 'pending') {
      const tooSoon = device.lastPollAt !== undefined && now - device.lastPollAt < device.intervalSeconds * 1000 - POLL_TOLERANCE_MS;
      device.lastPollAt = now;
      if (tooSoon) {
        device.intervalSeconds += 5;
        return oauthError('slow_down', 70016, `Polling too fast: wait at least ${device.intervalSeconds} seconds between requests.`);
      }
      return oauthError('authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    }
    device.status = 'redeemed';
    this.userCodes.delete(device.userCode);
    return this.issueTokens(device.grant!, device.grant!.scopes, undefined);
  }

  private async clientCredentials(form: URLSearchParams, client: RegisteredClient, tenant: TenantSegment): Promise<Record<string, unknown> | OAuthError> {
    if (!client.confidential) return oauthError('unauthorized_client', 700025, 'A public client cannot use the client credentials grant.');
    if (tenant.kind !== 'tenant')
      return oauthError(
        'invalid_request',
        90009,
        'Application is requesting a token for itself. Use a tenant-specific endpoint (a tenant id), not organizations or common.',
      );
    const scope = form.get('scope') ?? '';
    if (scope.toLowerCase() !== `https://${this.simulation.graphHost}/.default`) {
      return oauthError(
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope.slice(0, 200)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (https://${this.simulation.graphHost}/.default).`,
      );
    }
    return { ...(await this.simulation.issueAppToken(tenant.id, client.clientId)), ext_expires_in: 3600 };
  }

  /** Access token (service API or Graph), id token when `openid` was asked, rotating refresh token with `offline_access`. */
  private async issueTokens(grant: Grant, scopeList: readonly string[], nonce: string | undefined): Promise<Record<string, unknown> | OAuthError> {
    const scopes = this.parseScopes(scopeList.join(' '));
    if (!scopes.ok) return scopes.error;
    const user = this.simulation.directory.user(grant.userId);
    if (!user) return oauthError('invalid_grant', 50034, 'The user account does not exist in the directory any more.');
    const settings = this.settings;
    const now = Math.floor(this.now() / 1000);
    const issuer = `${this.authorityUrl}/${grant.tenantId}/v2.0`;
    const pairwiseSub = (audience: string) => createHash('sha256').update(`${user.id}:${audience}`).digest('base64url').slice(0, 43);
    const isServiceClient = grant.clientId === settings.serviceAppId;
    const common = {
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + ACCESS_TOKEN_SECONDS,
      tid: grant.tenantId,
      oid: user.id,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
    };
    const access =
      scopes.resource === 'service'
        ? {
            ...common,
            aud: settings.serviceAppId,
            sub: pairwiseSub(settings.serviceAppId),
            azp: grant.clientId,
            azpacr: isServiceClient ? '1' : '0',
            scp: scopes.scp.join(' '),
            amr: grant.amr,
            auth_time: grant.authTime,
            ...(grant.acrs.length ? { acrs: grant.acrs } : {}),
            ...(user.directoryRoles.length ? { wids: user.directoryRoles } : {}),
            ...(user.appRoles.length ? { roles: user.appRoles } : {}),
            uti: randomUUID(),
          }
        : {
            ...common,
            aud: MICROSOFT_GRAPH_APP_ID,
            sub: pairwiseSub(MICROSOFT_GRAPH_APP_ID),
            azp: grant.clientId,
            scp: scopes.scp.join(' '),
            amr: grant.amr,
            uti: randomUUID(),
          };
    const response: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scopes.granted,
      expires_in: ACCESS_TOKEN_SECONDS,
      ext_expires_in: ACCESS_TOKEN_SECONDS,
      access_token: await this.simulation.signer.sign(access),
    };
    if (scopes.oidc.has('openid')) {
      response.id_token = await this.simulation.signer.sign({
        ...common,
        aud: grant.clientId,
        sub: pairwiseSub(grant.clientId),
        auth_time: grant.authTime,
        ...(nonce !== undefined ? { nonce } : {}),
        // The service app sets groupMembershipClaims DirectoryRole and defines the app role.
        ...(isServiceClient && user.directoryRoles.length ? { wids: user.directoryRoles } : {}),
        ...(isServiceClient && user.appRoles.length ? { roles: user.appRoles } : {}),
      });
    }
    if (scopes.oidc.has('offline_access')) {
      const refreshToken = randomToken(48);
      this.refreshTokens.set(sha256(refreshToken), { grant: { ...grant, scopes: [...scopeList] }, used: false }, REFRESH_TOKEN_TTL_MS);
      this.onRefreshTokensChange?.();
      response.refresh_token = refreshToken;
      response.refresh_token_expires_in = REFRESH_TOKEN_TTL_MS / 1000;
    }
    return response;
  }
}
