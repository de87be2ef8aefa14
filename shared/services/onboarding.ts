import { createHash, createHmac, randomBytes } from 'node:crypto';
import { ROLE_DISPLAY_NAMES, type ServiceConfig } from '../config.js';
import type { AuditActivity, AuditInitiator } from '../domain/audit.js';
import { SERVICE_INITIATOR } from '../domain/audit.js';
import { ServiceError, conflict, isServiceError, onboardingStartUrl } from '../domain/errors.js';
import {
  activate,
  isDomainName,
  markServicePrincipalMissing,
  offboard,
  recordFailure,
  recordServiceConsent,
  startOnboarding,
  statusOf,
  STATE_LIFETIME_MS,
  type ConsentStep,
  type OnboardingFailureCode,
  type OnboardingStatus,
  type VerifiedDirectory,
} from '../domain/onboarding.js';
import { isGuid, newTenantRecord, type TenantRecord } from '../domain/tenant.js';
import { AdminSignInError, type AdminSignIn, type SignedInAdmin } from '../identity/admin-sign-in.js';
import { ADMINISTRATOR_APP_ROLE } from '../identity/authorization.js';
import type { DirectoryReader } from '../identity/graph-client.js';
import { GraphError } from '../identity/http-retry.js';
import type { TenantResolver } from '../identity/tenant-resolver.js';
import type { OnboardingAdmin, OnboardingStateRepository, OnboardingStateRow } from '../storage/onboarding-state-repository.js';
import type { TenantRepository } from '../storage/tenant-repository.js';
import type { TenantLifecycleListener } from './tenant-lifecycle.js';
import type { Clock } from '../domain/clock.js';
import { readModifyWrite } from './read-modify-write.js';
import type { AuditLog } from './audit-log.js';

/** What the browser-facing onboarding routes answer; the adapter renders pages from it. */
export type OnboardingOutcome =
  /** `browserKey`: set it in the browser's onboarding cookie (the start of a sign-in). */
  | { kind: 'redirect'; location: string; browserKey?: string }
  | { kind: 'startForm' }
  | {
      kind: 'problem';
      status: ProblemStatus;
      title: string;
      detail: string;
      code?: OnboardingFailureCode;
      restartTenant?: string;
      signedIn?: OnboardingAdmin;
      requiredRoles?: string[];
    }
  | { kind: 'success'; tenant: TenantRecord; policyUrl: string; signedIn?: OnboardingAdmin };

export interface OnboardingDependencies {
  config: ServiceConfig;
  tenants: TenantRepository;
  states: OnboardingStateRepository;
  directory: DirectoryReader;
  resolver: TenantResolver;
  /** The administrator's OpenID Connect sign-in at the tenant's authority. */
  signIn: AdminSignIn;
  audit: AuditLog;
  listeners: () => readonly TenantLifecycleListener[];
  clock: Clock;
}

type VerifyResult =
  | { ok: true; verified: VerifiedDirectory }
  | { ok: false; code: OnboardingFailureCode; message: string; missing?: ('serviceApplication' | 'clientApplication')[] };

const ERROR_CODE = /^[a-z_]{1,64}$/;
const ENTRA_ERROR_NUMBER = /AADSTS\d{5,7}/;

/**
 * What a consent-error callback may contribute to the page, the tenant's failure and the audit log.
 * Anyone holding a `state` from the anonymous /onboarding/start can forge this callback, so its free
 * text never reaches them: only Entra's `error` code (when it looks like one) and the AADSTS number
 * found in `error_description`. Our own wording is built around these.
 */
export function consentErrorCodes(error: string | null, description: string | null): string[] {
  const codes = [error === null ? 'admin_consent missing' : ERROR_CODE.test(error) ? error : 'unknown_error'];
  const entraNumber = description?.match(ENTRA_ERROR_NUMBER)?.[0];
  if (entraNumber) codes.push(entraNumber);
  return codes;
}
const WRITE_ATTEMPTS = 5;

function appLabel(step: ConsentStep): string {
  return step === 'service' ? 'PIN reset service application' : 'PIN reset client application';
}

/**
 * The audit reason of an activation that brought an offboarded tenant back. Only a signed-in
 * administrator of the tenant can get there; the event names them.
 */
function reactivationNote(offboardedSince: string | null): string | null {
  if (offboardedSince === null) return null;
  return `Re-activated a tenant that was offboarded at ${offboardedSince}, by the administrator who signed in (see initiatedBy).`;
}

/** The statuses of the onboarding HTML problem pages. */
export type ProblemStatus = 400 | 403 | 409 | 503;

type ProblemExtra = Pick<Extract<OnboardingOutcome, { kind: 'problem' }>, 'code' | 'restartTenant' | 'signedIn' | 'requiredRoles'>;

function problem(status: ProblemStatus, title: string, detail: string, extra: ProblemExtra = {}): OnboardingOutcome {
  return { kind: 'problem', status, title, detail, ...extra };
}

/** A browser key: the random value of the HttpOnly onboarding cookie. */
const BROWSER_KEY = /^[A-Za-z0-9_-]{43}$/;

export function isBrowserKey(value: string | undefined): value is string {
  return value !== undefined && BROWSER_KEY.test(value);
}

function browserHashOf(browserKey: string): string {
  return createHash('sha256').update(browserKey).digest('hex');
}

/**
 * The PKCE verifier of one sign-in, derived from the browser key and the state: the service stores
 * no verifier, and only the browser that started the sign-in can have it redeemed.
 */
function codeVerifierOf(browserKey: string, state: string): string {
  return createHmac('sha256', browserKey).update(`pkce:${state}`).digest('base64url');
}

function codeChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function adminInitiator(admin: OnboardingAdmin | undefined): AuditInitiator {
  if (!admin) return SERVICE_INITIATOR;
  return { user: { id: admin.objectId, ...(admin.userPrincipalName ? { userPrincipalName: admin.userPrincipalName } : {}) } };
}

type BoundState = { ok: true; row: OnboardingStateRow } | { ok: false; outcome: OnboardingOutcome };

/**
 * Onboarding a tenant by admin consent to the two applications, then proving the result through
 * Microsoft Graph. The `tenant` that Entra puts on the callback is only compared with the tenant the
 * single-use state was issued for; it never selects a tenant by itself.
 *
 * `/onboarding/start` is anonymous, so it writes nothing but the expiring `state` row: until the
 * admin comes back through a callback, the pending onboarding exists only there (the status reports
 * `serviceConsentPending` while such a link is usable). The tenant record and the audit trail start
 * with the first callback that consumes a service-consent state.
 */
export class OnboardingService {
  constructor(private readonly deps: OnboardingDependencies) {}

  private get config(): ServiceConfig {
    return this.deps.config;
  }

  /**
   * `GET /onboarding/start?tenant=`: resolves the tenant, then sends the administrator to sign in at
   * the tenant's authority. `browserKey` is the onboarding cookie the browser already has (kept, so
   * two tabs do not undo each other), else a new one is made; the answer says which to set.
   */
  async start(requested: string | null, browserKey: string | undefined, _correlationId: string): Promise<OnboardingOutcome> {
    const input = requested?.trim() ?? '';
    if (input === '') return { kind: 'startForm' };
    if (!isGuid(input) && !isDomainName(input)) {
      return problem(400, 'Not a tenant id or domain', 'The tenant value is neither a tenant id (GUID) nor a domain name such as contoso.onmicrosoft.com.');
    }
    let tenantId: string | undefined;
    try {
      tenantId = await this.deps.resolver.resolve(input);
    } catch (error) {
      if (error instanceof GraphError)
        return problem(503, 'Microsoft Entra ID is unavailable', 'The tenant could not be looked up right now. Try again in a minute.', {
          restartTenant: input,
        });
      throw error;
    }
    if (!tenantId)
      return problem(400, 'Unknown tenant', `Microsoft Entra ID does not know a tenant with the domain "${input}". Use the tenant id or a verified domain.`);

    const key = isBrowserKey(browserKey) ? browserKey : randomBytes(32).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const state = await this.issueState(tenantId, input, 'signin', { browserHash: browserHashOf(key), nonce });
    const location = await this.deps.signIn.authorizationUrl({ tenantId, state, nonce, codeChallenge: codeChallengeOf(codeVerifierOf(key, state)) });
    return { kind: 'redirect', location, browserKey: key };
  }

  /**
   * `GET /onboarding/signin`: the authority's redirect after the administrator signed in. Redeems the
   * code (confidential client, PKCE, nonce), requires an admin role, then on to the service app's
   * admin consent with a state bound to this browser and to the administrator's tenant.
   */
  async signIn(query: URLSearchParams, browserKey: string | undefined, correlationId: string): Promise<OnboardingOutcome> {
    const bound = await this.consumeBound(query.get('state'), browserKey, 'signin', query, correlationId);
    if (!bound.ok) return bound.outcome;
    const { row } = bound;
    const restart = { restartTenant: row.requestedTenant };
    const error = query.get('error');
    if (error !== null) {
      return problem(
        400,
        'Sign-in was not completed',
        `The sign-in was canceled or refused (${consentErrorCodes(error, query.get('error_description')).join(', ')}). Start again and sign in as an administrator of the tenant.`,
        { code: 'SignInFailed', ...restart },
      );
    }
    let admin: SignedInAdmin;
    try {
      admin = await this.deps.signIn.redeem({
        tenantId: row.tenantId,
        callbackUrl: new URL(`${this.config.publicBaseUrl}/onboarding/signin?${query.toString()}`),
        codeVerifier: codeVerifierOf(browserKey!, query.get('state')!),
        state: query.get('state')!,
        nonce: row.nonce ?? '',
      });
    } catch (caught) {
      if (caught instanceof AdminSignInError) return problem(400, 'Sign-in failed', `${caught.message} Start again.`, { code: 'SignInFailed', ...restart });
      if (caught instanceof TypeError || caught instanceof GraphError) {
        return problem(503, 'Microsoft Entra ID is unavailable', 'The sign-in could not be completed right now. Try again in a minute.', restart);
      }
      throw caught;
    }
    const signedIn: OnboardingAdmin = { objectId: admin.objectId, userPrincipalName: admin.userPrincipalName, displayName: admin.displayName };
    const isAdmin = admin.roles.includes(ADMINISTRATOR_APP_ROLE) || admin.wids.some((wid) => this.config.adminRoleIds.includes(wid));
    if (!isAdmin) {
      return problem(
        403,
        'An administrator role is required',
        'Onboarding grants tenant-wide admin consent, so it needs an administrator of the tenant. ' +
          'Sign in with an account that holds one of the roles below, or ask such an administrator to onboard the tenant.',
        { code: 'NotAnAdministrator', signedIn, requiredRoles: this.requiredRoleNames(), ...restart },
      );
    }
    await this.audit(row.tenantId, 'onboardingStarted', 'success', null, adminInitiator(signedIn), correlationId);
    const state = await this.issueState(row.tenantId, row.requestedTenant, 'service', { browserHash: row.browserHash!, admin: signedIn });
    return { kind: 'redirect', location: adminConsentUrl(this.config, row.tenantId, 'service', state) };
  }

  private requiredRoleNames(): string[] {
    return [
      ...this.config.adminRoleIds.map((id) => (ROLE_DISPLAY_NAMES[id] ? `${ROLE_DISPLAY_NAMES[id]} (${id})` : id)),
      `${ADMINISTRATOR_APP_ROLE} (app role of the PIN reset service)`,
    ];
  }

  /**
   * Consumes a single-use state and checks that the presenting browser is the one it was issued to
   * (its onboarding cookie). A refused callback changes nothing but the audit log of the tenant it
   * names, when that tenant is known here.
   */
  private async consumeBound(
    state: string | null,
    browserKey: string | undefined,
    step: 'signin' | 'consent',
    query: URLSearchParams,
    correlationId: string,
  ): Promise<BoundState> {
    const startAgain = 'Start onboarding again.';
    if (!state) return { ok: false, outcome: problem(400, 'Missing state', `This page is reached from Microsoft's sign-in or consent page. ${startAgain}`) };
    const consumed = await this.deps.states.consume(state, this.deps.clock());
    if (consumed.outcome === 'unknown') {
      await this.auditRefusedCallback(query.get('tenant'), 'its state is not known to the service', correlationId);
      return { ok: false, outcome: problem(400, 'Unknown onboarding link', `This onboarding link is not known to the service. ${startAgain}`) };
    }
    const restartTenant = consumed.row.requestedTenant;
    if (consumed.outcome === 'used') {
      return {
        ok: false,
        outcome: problem(400, 'Onboarding link already used', `This onboarding link was already used (each link works once). ${startAgain}`, { restartTenant }),
      };
    }
    if (consumed.outcome === 'expired') {
      return {
        ok: false,
        outcome: problem(400, 'Onboarding link expired', `This onboarding link expired (links are valid for 10 minutes). ${startAgain}`, { restartTenant }),
      };
    }
    const { row } = consumed;
    if ((row.step === 'signin') !== (step === 'signin')) {
      await this.auditRefusedCallback(row.tenantId, 'its state was issued for another step', correlationId, true);
      return {
        ok: false,
        outcome: problem(400, 'Unknown onboarding link', `This onboarding link does not belong on this page. ${startAgain}`, { restartTenant }),
      };
    }
    if (!row.browserHash || !isBrowserKey(browserKey) || browserHashOf(browserKey) !== row.browserHash) {
      await this.auditRefusedCallback(row.tenantId, 'it was not presented by the browser in which the administrator signed in', correlationId, true);
      return {
        ok: false,
        outcome: problem(
          403,
          'This onboarding link belongs to another browser',
          'Onboarding links work only in the browser in which onboarding was started and the administrator signed in ' +
            '(that browser holds the onboarding cookie). Nothing was changed. If you started onboarding, start again in this browser.',
          { code: 'BrowserMismatch', restartTenant },
        ),
      };
    }
    return { ok: true, row };
  }

  /**
   * Audits a refused callback on its tenant: the one its state was issued for (`issuedByUs`), or the
   * one the query names when that tenant has a record here (no audit rows for made-up tenant ids).
   */
  private async auditRefusedCallback(tenant: string | null, why: string, correlationId: string, issuedByUs = false): Promise<void> {
    const tenantId = tenant?.toLowerCase();
    if (!tenantId || !isGuid(tenantId)) return;
    if (!issuedByUs && !(await this.deps.tenants.get(tenantId))) return;
    await this.audit(tenantId, 'onboardingFailed', 'failure', `Refused an onboarding callback: ${why}. Nothing was changed.`, SERVICE_INITIATOR, correlationId);
  }

  /**
   * `GET /onboarding/callback` — Entra's redirect after either admin consent. Only the browser in
   * which an administrator of the tenant signed in can present its state.
   */
  async callback(query: URLSearchParams, browserKey: string | undefined, correlationId: string): Promise<OnboardingOutcome> {
    const bound = await this.consumeBound(query.get('state'), browserKey, 'consent', query, correlationId);
    if (!bound.ok) return bound.outcome;
    const { row } = bound;
    const step: ConsentStep = row.step === 'client' ? 'client' : 'service';
    const tenantId = row.tenantId;
    const signedIn = row.admin;
    const actor = adminInitiator(signedIn);
    const restart = { restartTenant: tenantId, ...(signedIn ? { signedIn } : {}) };
    // The first write of the service consent's callback starts the tenant record.
    const begun = (tenant: TenantRecord): TenantRecord => (step === 'service' ? startOnboarding(tenant, this.deps.clock()) : tenant);

    const error = query.get('error');
    if (error !== null || query.get('admin_consent')?.toLowerCase() !== 'true') {
      const code: OnboardingFailureCode = error === 'access_denied' ? 'ConsentDenied' : 'ConsentFailed';
      const message = `Admin consent to the ${appLabel(step)} was not granted (${consentErrorCodes(error, query.get('error_description')).join(', ')}).`;
      await this.fail(tenantId, code, message, correlationId, [], begun);
      return problem(400, 'Admin consent was not granted', message, { code, ...restart });
    }

    const reportedTenant = query.get('tenant');
    if (reportedTenant !== null && reportedTenant.toLowerCase() !== tenantId) {
      const message =
        'Consent was granted in a different tenant than the one onboarding was started for. Start again and sign in with an administrator of that tenant.';
      await this.fail(tenantId, 'TenantMismatch', message, correlationId, [], begun);
      return problem(400, 'Consent was granted in another tenant', message, { code: 'TenantMismatch', ...restart });
    }

    if (step === 'service') {
      await this.updateTenant(tenantId, (tenant) => recordServiceConsent(begun(tenant), this.deps.clock()));
      await this.audit(tenantId, 'serviceConsentGranted', 'success', null, actor, correlationId, this.config.serviceAppId);
      const state = await this.issueState(tenantId, row.requestedTenant, 'client', { browserHash: row.browserHash!, ...(signedIn ? { admin: signedIn } : {}) });
      return { kind: 'redirect', location: adminConsentUrl(this.config, tenantId, 'client', state) };
    }

    await this.audit(tenantId, 'clientConsentGranted', 'success', null, actor, correlationId, this.config.clientAppId);
    return this.complete(tenantId, actor, signedIn, correlationId);
  }

  /**
   * The tenant record's state, except that a service-consent link issued after the record last
   * changed and still usable means the admin is on the consent page: `serviceConsentPending`, as if
   * start had written it. A start that never came back reports the previous state again (for a new
   * tenant `notStarted`) once its link expires.
   */
  async status(tenantId: string): Promise<OnboardingStatus> {
    const stored = (await this.deps.tenants.get(tenantId))?.value;
    const tenant = stored ?? this.blankTenant(tenantId);
    if (tenant.onboardingState === 'active') return statusOf(tenant);
    const now = this.deps.clock();
    const pendingSince = await this.deps.states.latestPendingServiceConsent(tenantId, now);
    const pending = pendingSince !== undefined && (stored === undefined || pendingSince > stored.lastUpdatedDateTime);
    return statusOf(pending ? startOnboarding(tenant, now) : tenant);
  }

  /** Re-checks both service principals now; a removed app moves the tenant to `failed`. */
  async verify(tenantId: string, actor: AuditInitiator, correlationId: string): Promise<OnboardingStatus> {
    const current = (await this.deps.tenants.get(tenantId))?.value;
    if (!current || current.onboardingState === 'notStarted' || current.onboardingState === 'offboarded') {
      throw conflict(
        `This tenant is not onboarded. An administrator must complete onboarding first: open ${onboardingStartUrl(this.config.publicBaseUrl, tenantId)} in a browser.`,
      );
    }
    const result = await this.verifyDirectory(tenantId);
    if (!result.ok) {
      await this.audit(tenantId, 'onboardingVerified', 'failure', `${result.code}: ${result.message}`, actor, correlationId);
      if (result.code === 'GraphUnavailable') throw new ServiceError('ServiceUnavailable', result.message, { retryAfterSeconds: 30 });
      const updated = await this.updateTenant(tenantId, (tenant) =>
        recordFailure((result.missing ?? []).reduce(markServicePrincipalMissing, tenant), result.code, result.message, this.deps.clock()),
      );
      return statusOf(updated);
    }
    if (current.onboardingState !== 'active') await this.notifyActivated(tenantId, correlationId);
    let offboardedSince: string | null = null;
    const updated = await this.updateTenant(tenantId, (tenant) => {
      offboardedSince = tenant.offboardedDateTime;
      return activate(tenant, result.verified, this.deps.clock());
    });
    await this.audit(tenantId, 'onboardingVerified', 'success', reactivationNote(offboardedSince), actor, correlationId);
    return statusOf(updated);
  }

  /**
   * Offboards: the tenant stops being served at once, then every lifecycle listener destroys its
   * per-tenant state (keys, pending device actions). Listeners run on every DELETE, so a retry after a
   * failed listener finishes the job. The audit trail is kept.
   */
  async offboard(tenantId: string, actor: AuditInitiator, correlationId: string): Promise<void> {
    const current = (await this.deps.tenants.get(tenantId))?.value;
    if (!current) return;
    await this.updateTenant(tenantId, (tenant) => offboard(tenant, this.deps.clock()));
    for (const listener of this.deps.listeners()) await listener.onTenantOffboarded?.(tenantId, correlationId);
    await this.audit(tenantId, 'tenantOffboarded', 'success', null, actor, correlationId);
  }

  private async complete(tenantId: string, actor: AuditInitiator, signedIn: OnboardingAdmin | undefined, correlationId: string): Promise<OnboardingOutcome> {
    const restart = { restartTenant: tenantId, ...(signedIn ? { signedIn } : {}) };
    const result = await this.verifyDirectory(tenantId);
    if (!result.ok) {
      await this.fail(tenantId, result.code, result.message, correlationId, result.missing);
      const status = result.code === 'GraphUnavailable' ? 503 : 409;
      const title = result.code === 'GraphUnavailable' ? 'Microsoft Graph is unavailable' : 'Onboarding could not be verified';
      return problem(status, title, result.message, { code: result.code, ...restart });
    }
    try {
      await this.notifyActivated(tenantId, correlationId);
    } catch (error) {
      if (!isServiceError(error) && !(error instanceof GraphError)) throw error;
      const message = "The tenant's keys could not be prepared. Nothing was lost; start onboarding again in a minute.";
      await this.fail(tenantId, 'ActivationFailed', message, correlationId);
      return problem(503, 'Onboarding could not be finished', message, { code: 'ActivationFailed', ...restart });
    }
    let offboardedSince: string | null = null;
    const tenant = await this.updateTenant(tenantId, (current) => {
      offboardedSince = current.offboardedDateTime;
      return activate(current, result.verified, this.deps.clock());
    });
    await this.audit(tenantId, 'onboardingCompleted', 'success', reactivationNote(offboardedSince), actor, correlationId);
    return {
      kind: 'success',
      tenant,
      policyUrl: `${this.config.publicBaseUrl}/v1.0/organization/${tenantId}/pinRecoveryPolicy`,
      ...(signedIn ? { signedIn } : {}),
    };
  }

  private async notifyActivated(tenantId: string, correlationId: string): Promise<void> {
    for (const listener of this.deps.listeners()) await listener.onTenantActivated?.(tenantId, correlationId);
  }

  /** Both service principals and the organization, from Graph, as the service app (app-only). */
  private async verifyDirectory(tenantId: string): Promise<VerifyResult> {
    const { directory } = this.deps;
    try {
      const [service, client, organization] = await Promise.all([
        directory.servicePrincipal(tenantId, this.config.serviceAppId),
        directory.servicePrincipal(tenantId, this.config.clientAppId),
        directory.organization(tenantId),
      ]);
      const missing: ('serviceApplication' | 'clientApplication')[] = [];
      if (!service) missing.push('serviceApplication');
      if (!client) missing.push('clientApplication');
      if (!service || !client) {
        const names = missing.map((which) =>
          which === 'serviceApplication'
            ? `the PIN reset service application (appId ${this.config.serviceAppId})`
            : `the PIN reset client application (appId ${this.config.clientAppId})`,
        );
        return {
          ok: false,
          code: 'ServicePrincipalMissing',
          missing,
          message: `Microsoft Graph has no service principal for ${names.join(' and ')} in this tenant: admin consent was not granted or the enterprise application was deleted.`,
        };
      }
      return {
        ok: true,
        verified: {
          serviceApplication: { servicePrincipalId: service.id, displayName: service.displayName },
          clientApplication: { servicePrincipalId: client.id, displayName: client.displayName },
          organization: {
            displayName: organization.displayName,
            verifiedDomains: organization.verifiedDomains,
            tenantType: organization.tenantType,
            organizationCreatedDateTime: organization.createdDateTime,
          },
        },
      };
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      return error.kind === 'unavailable'
        ? { ok: false, code: 'GraphUnavailable', message: 'Microsoft Graph could not be reached to verify the applications. Try again in a few minutes.' }
        : { ok: false, code: 'GraphAccessDenied', message: `Microsoft Graph refused the PIN reset service application: ${error.message}` };
    }
  }

  private async fail(
    tenantId: string,
    code: OnboardingFailureCode,
    message: string,
    correlationId: string,
    missing: ('serviceApplication' | 'clientApplication')[] = [],
    begun: (tenant: TenantRecord) => TenantRecord = (tenant) => tenant,
  ): Promise<void> {
    await this.updateTenant(tenantId, (tenant) => recordFailure(missing.reduce(markServicePrincipalMissing, begun(tenant)), code, message, this.deps.clock()));
    await this.audit(tenantId, 'onboardingFailed', 'failure', `${code}: ${message}`, SERVICE_INITIATOR, correlationId);
  }

  /** A new single-use state (random; only its hash is stored) for `step`, expiring in 10 minutes. */
  private async issueState(
    tenantId: string,
    requestedTenant: string,
    step: OnboardingStateRow['step'],
    binding: Pick<OnboardingStateRow, 'browserHash' | 'nonce' | 'admin'>,
  ): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    const now = this.deps.clock();
    await this.deps.states.create(state, {
      step,
      tenantId,
      requestedTenant,
      createdDateTime: now.toISOString(),
      expiresDateTime: new Date(now.getTime() + STATE_LIFETIME_MS).toISOString(),
      ...binding,
    });
    return state;
  }

  private blankTenant(tenantId: string): TenantRecord {
    return newTenantRecord(tenantId, this.config, this.deps.clock());
  }

  /** Read-modify-write of the tenant record with its ETag; creates it when missing; retries races. */
  private async updateTenant(tenantId: string, change: (tenant: TenantRecord) => TenantRecord): Promise<TenantRecord> {
    return readModifyWrite(
      async () => {
        const current = await this.deps.tenants.get(tenantId);
        const base = current?.value ?? this.blankTenant(tenantId);
        const next = change(base);
        if (!current) return (await this.deps.tenants.create(next)).value;
        if (next === base) return base;
        return (await this.deps.tenants.replace(next, current.etag)).value;
      },
      { attempts: WRITE_ATTEMPTS, retryConflicts: true },
    );
  }

  private async audit(
    tenantId: string,
    activity: AuditActivity,
    result: 'success' | 'failure',
    reason: string | null,
    initiatedBy: AuditInitiator,
    correlationId: string,
    appId?: string,
  ): Promise<void> {
    await this.deps.audit.record({
      tenantId,
      activity,
      result,
      resultReason: reason,
      initiatedBy,
      targetResources: [appId ? { id: appId, type: 'application' } : { id: tenantId, type: 'organization' }],
      correlationId,
    });
  }
}

/**
 * The authority's admin consent URL for one of the two apps. Both steps ask for the service API's
 * `/.default` scope: for the service app that is the consent the service needs; for the client app it is exactly
 * the static delegated permission devices use (the client calls the service's API).
 * In development mode the authority is this service's own /dev/login (config.authorityUrl).
 */
export function adminConsentUrl(config: ServiceConfig, tenantId: string, step: ConsentStep, state: string): string {
  const url = new URL(`${config.authorityUrl}/${encodeURIComponent(tenantId)}/v2.0/adminconsent`);
  url.searchParams.set('client_id', step === 'service' ? config.serviceAppId : config.clientAppId);
  url.searchParams.set('redirect_uri', `${config.publicBaseUrl}/onboarding/callback`);
  url.searchParams.set('state', state);
  url.searchParams.set('scope', `${config.serviceAppIdUri}/.default`);
  return url.toString();
}
