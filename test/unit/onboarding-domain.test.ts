import { describe, expect, it } from 'vitest';
import {
  activate,
  isDomainName,
  offboard,
  recordFailure,
  recordServiceConsent,
  startOnboarding,
  type VerifiedDirectory,
} from '../../shared/domain/onboarding.js';
import { newTenantRecord } from '../../shared/domain/tenant.js';
import { consentErrorCodes } from '../../shared/services/onboarding.js';

const now = new Date('2025-01-01T00:00:00Z');
const apps = { serviceAppId: 'service', clientAppId: 'client' };
const verified: VerifiedDirectory = {
  serviceApplication: { servicePrincipalId: 'sp-service', displayName: 'Service' },
  clientApplication: { servicePrincipalId: 'sp-client', displayName: 'Client' },
  organization: { displayName: 'Contoso', verifiedDomains: [], tenantType: 'AAD', organizationCreatedDateTime: null },
};
const fresh = () => newTenantRecord('t', apps, now);

describe('onboarding state transitions', () => {
  it('walks notStarted → serviceConsentPending → clientConsentPending → active', () => {
    const started = startOnboarding(fresh(), now);
    expect(started.onboardingState).toBe('serviceConsentPending');
    const serviceDone = recordServiceConsent(started, now);
    expect(serviceDone.onboardingState).toBe('clientConsentPending');
    expect(serviceDone.serviceApplication).toMatchObject({ consented: true, consentedDateTime: now.toISOString() });
    const active = activate(serviceDone, verified, now);
    expect(active).toMatchObject({ onboardingState: 'active', displayName: 'Contoso', lastVerifiedDateTime: now.toISOString(), failure: null });
    expect(active.clientApplication).toMatchObject({ consented: true, servicePrincipalId: 'sp-client' });
  });

  it('never lets a (forgeable) callback or an outage deactivate an active tenant', () => {
    const active = activate(fresh(), verified, now);
    expect(startOnboarding(active, now)).toBe(active);
    expect(recordServiceConsent(active, now)).toBe(active);
    expect(recordFailure(active, 'ConsentDenied', 'x', now)).toBe(active);
    expect(recordFailure(active, 'GraphUnavailable', 'x', now)).toBe(active);
    expect(recordFailure(active, 'TenantMismatch', 'x', now)).toBe(active);
  });

  it('fails an active tenant on a verified fact: a missing service principal', () => {
    const failed = recordFailure(activate(fresh(), verified, now), 'ServicePrincipalMissing', 'gone', now);
    expect(failed).toMatchObject({ onboardingState: 'failed', failure: { code: 'ServicePrincipalMissing', message: 'gone' } });
  });

  it('keeps an offboarded tenant offboarded on failures, and lets start begin again', () => {
    const gone = offboard(activate(fresh(), verified, now), now);
    expect(recordFailure(gone, 'ServicePrincipalMissing', 'x', now).onboardingState).toBe('offboarded');
    expect(startOnboarding(gone, now).onboardingState).toBe('serviceConsentPending');
  });

  it('remembers when a tenant was offboarded through later failures, until it is active again', () => {
    const later = new Date('2025-02-01T00:00:00Z');
    const gone = offboard(activate(fresh(), verified, now), later);
    expect(gone.offboardedDateTime).toBe(later.toISOString());
    const failedAgain = recordFailure(startOnboarding(gone, now), 'ConsentDenied', 'x', now);
    expect(failedAgain).toMatchObject({ onboardingState: 'failed', offboardedDateTime: later.toISOString() });
    expect(activate(recordServiceConsent(startOnboarding(failedAgain, now), now), verified, now).offboardedDateTime).toBeNull();
  });
});

describe('consentErrorCodes', () => {
  it("keeps Entra's error code and the AADSTS number, and nothing else of the callback", () => {
    expect(consentErrorCodes('access_denied', 'AADSTS65004: User declined to consent to access the app.')).toEqual(['access_denied', 'AADSTS65004']);
    expect(consentErrorCodes('consent_required', 'Re-verify at https://evil.example AADSTS700016 now')).toEqual(['consent_required', 'AADSTS700016']);
    expect(consentErrorCodes('invalid_request', 'no number here')).toEqual(['invalid_request']);
    expect(consentErrorCodes('invalid_request', null)).toEqual(['invalid_request']);
    expect(consentErrorCodes(null, null)).toEqual(['admin_consent missing']);
  });

  it('replaces anything that is not a lowercase error code with unknown_error', () => {
    for (const forged of ['Access_Denied', 'access denied', 'call https://evil.example', '', 'a'.repeat(65), 'access_denied\n', '<b>x</b>']) {
      expect(consentErrorCodes(forged, null), forged).toEqual(['unknown_error']);
    }
    expect(consentErrorCodes('a'.repeat(64), null)).toEqual(['a'.repeat(64)]);
  });
});

describe('isDomainName', () => {
  it('accepts host names and refuses URLs, ports, single labels and IP addresses', () => {
    expect(isDomainName('contoso.onmicrosoft.com')).toBe(true);
    expect(isDomainName('signin.contoso.com')).toBe(true);
    for (const bad of ['https://contoso.com', 'contoso.com/path', 'contoso.com:443', 'localhost', '10.0.0.1', '-a.com', 'a..com', '<b>.com']) {
      expect(isDomainName(bad), bad).toBe(false);
    }
  });
});
