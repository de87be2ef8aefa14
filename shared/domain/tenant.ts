/** A tenant as this service knows it: the organization facts read from Graph and its onboarding. */

export const ONBOARDING_STATES = ['notStarted', 'serviceConsentPending', 'clientConsentPending', 'active', 'failed', 'offboarded'] as const;
export type OnboardingState = (typeof ONBOARDING_STATES)[number];

export interface VerifiedDomain {
  capabilities: string;
  isDefault: boolean;
  isInitial: boolean;
  name: string;
  type: string;
}

export interface ApplicationConsent {
  appId: string;
  displayName: string | null;
  consented: boolean;
  servicePrincipalId: string | null;
  consentedDateTime: string | null;
}

export interface OnboardingFailure {
  code: string;
  message: string;
}

export interface TenantRecord {
  tenantId: string;
  onboardingState: OnboardingState;
  displayName: string | null;
  verifiedDomains: VerifiedDomain[] | null;
  tenantType: string | null;
  /** The organization's own createdDateTime, as Graph reports it. */
  organizationCreatedDateTime: string | null;
  serviceApplication: ApplicationConsent;
  clientApplication: ApplicationConsent;
  lastVerifiedDateTime: string | null;
  failure: OnboardingFailure | null;
  /**
   * When the tenant was last offboarded, until it is active again: an activation that finds it set
   * re-activates an offboarded tenant, which the audit log says in so many words.
   */
  offboardedDateTime: string | null;
  createdDateTime: string;
  lastUpdatedDateTime: string;
}

/** Optimistic concurrency: a value with the ETag it was read at. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

export function newTenantRecord(tenantId: string, apps: { serviceAppId: string; clientAppId: string }, now: Date): TenantRecord {
  const pendingApp = (appId: string): ApplicationConsent => ({ appId, displayName: null, consented: false, servicePrincipalId: null, consentedDateTime: null });
  return {
    tenantId,
    onboardingState: 'notStarted',
    displayName: null,
    verifiedDomains: null,
    tenantType: null,
    organizationCreatedDateTime: null,
    serviceApplication: pendingApp(apps.serviceAppId),
    clientApplication: pendingApp(apps.clientAppId),
    lastVerifiedDateTime: null,
    failure: null,
    offboardedDateTime: null,
    createdDateTime: now.toISOString(),
    lastUpdatedDateTime: now.toISOString(),
  };
}

export function isTenantActive(tenant: TenantRecord | undefined): boolean {
  return tenant?.onboardingState === 'active';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}
