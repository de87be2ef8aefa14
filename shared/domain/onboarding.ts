/**
 * Onboarding by admin consent: the steps, the failure codes a tenant records, and the state
 * transitions of the tenant record. Pure: callers pass the clock's `now`.
 *
 * Protection against forged callbacks: anyone can make a browser land on /onboarding/callback, so a
 * callback can only move a tenant that is not yet `active`. An active tenant changes state only on a
 * Graph-verified fact (a service principal is gone) or an admin's offboarding.
 */
import type { ApplicationConsent, OnboardingFailure, TenantRecord } from './tenant.js';

/** Which admin consent a `state` value was issued for. */
export type ConsentStep = 'service' | 'client';

/** What a `state` value was issued for: the administrator's sign-in, or one of the two consents. */
export type OnboardingStep = 'signin' | ConsentStep;

export type OnboardingFailureCode =
  | 'ConsentDenied'
  | 'ConsentFailed'
  | 'TenantMismatch'
  | 'ServicePrincipalMissing'
  | 'GraphUnavailable'
  | 'GraphAccessDenied'
  | 'ActivationFailed'
  | 'SignInFailed'
  | 'NotAnAdministrator'
  | 'BrowserMismatch';

/** Failures that reflect a verified fact about the tenant (not a transient outage or a forged callback). */
const VERIFIED_FAILURES: ReadonlySet<OnboardingFailureCode> = new Set(['ServicePrincipalMissing', 'GraphAccessDenied']);

/** Single-use `state` values live this long. */
export const STATE_LIFETIME_MS = 10 * 60 * 1000;

export function failure(code: OnboardingFailureCode, message: string): OnboardingFailure {
  return { code, message };
}

function touched(tenant: TenantRecord, now: Date, changes: Partial<TenantRecord>): TenantRecord {
  return { ...tenant, ...changes, lastUpdatedDateTime: now.toISOString() };
}

/** `/onboarding/start`: a tenant that is not active waits for the service app's consent. */
export function startOnboarding(tenant: TenantRecord, now: Date): TenantRecord {
  if (tenant.onboardingState === 'active') return tenant;
  return touched(tenant, now, { onboardingState: 'serviceConsentPending', failure: null });
}

/** Entra said the service app was consented (not yet verified: that happens after the client step). */
export function recordServiceConsent(tenant: TenantRecord, now: Date): TenantRecord {
  if (tenant.onboardingState === 'active') return tenant;
  return touched(tenant, now, {
    onboardingState: 'clientConsentPending',
    serviceApplication: { ...tenant.serviceApplication, consented: true, consentedDateTime: now.toISOString() },
    failure: null,
  });
}

export interface VerifiedDirectory {
  serviceApplication: { servicePrincipalId: string; displayName: string | null };
  clientApplication: { servicePrincipalId: string; displayName: string | null };
  organization: Pick<TenantRecord, 'displayName' | 'verifiedDomains' | 'tenantType' | 'organizationCreatedDateTime'>;
}

function verifiedApp(app: ApplicationConsent, found: { servicePrincipalId: string; displayName: string | null }, now: Date): ApplicationConsent {
  return {
    ...app,
    consented: true,
    servicePrincipalId: found.servicePrincipalId,
    displayName: found.displayName,
    consentedDateTime: app.consentedDateTime ?? now.toISOString(),
  };
}

/** Graph confirmed both service principals: the tenant is active. */
export function activate(tenant: TenantRecord, verified: VerifiedDirectory, now: Date): TenantRecord {
  return touched(tenant, now, {
    onboardingState: 'active',
    ...verified.organization,
    serviceApplication: verifiedApp(tenant.serviceApplication, verified.serviceApplication, now),
    clientApplication: verifiedApp(tenant.clientApplication, verified.clientApplication, now),
    lastVerifiedDateTime: now.toISOString(),
    failure: null,
    offboardedDateTime: null,
  });
}

/**
 * Records a failure. An active tenant stays active unless the failure is a verified fact about the
 * directory (e.g. an app was removed); transient outages and consent errors never deactivate it.
 */
export function recordFailure(tenant: TenantRecord, code: OnboardingFailureCode, message: string, now: Date): TenantRecord {
  if (tenant.onboardingState === 'active' && !VERIFIED_FAILURES.has(code)) return tenant;
  if (tenant.onboardingState === 'offboarded') return tenant;
  return touched(tenant, now, { onboardingState: 'failed', failure: failure(code, message) });
}

/** Marks an app's service principal as gone (verify found it missing). */
export function markServicePrincipalMissing(tenant: TenantRecord, which: 'serviceApplication' | 'clientApplication'): TenantRecord {
  return { ...tenant, [which]: { ...tenant[which], consented: false, servicePrincipalId: null } };
}

export function offboard(tenant: TenantRecord, now: Date): TenantRecord {
  return touched(tenant, now, { onboardingState: 'offboarded', failure: null, offboardedDateTime: now.toISOString() });
}

/** The status document of `GET .../pinResetOnboarding` (docs/api.md). */
export interface OnboardingStatus {
  state: TenantRecord['onboardingState'];
  serviceApplication: ApplicationConsent;
  clientApplication: ApplicationConsent;
  lastVerifiedDateTime: string | null;
  failure: OnboardingFailure | null;
}

export function statusOf(tenant: TenantRecord): OnboardingStatus {
  return {
    state: tenant.onboardingState,
    serviceApplication: tenant.serviceApplication,
    clientApplication: tenant.clientApplication,
    lastVerifiedDateTime: tenant.lastVerifiedDateTime,
    failure: tenant.failure,
  };
}

/** A domain given to /onboarding/start: a DNS host name with at least two labels. */
export function isDomainName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split('.');
  return labels.length >= 2 && labels.every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}
