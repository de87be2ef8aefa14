import { ROLE_DISPLAY_NAMES } from '../config.js';
import { ServiceError } from '../domain/errors.js';
import type { UserPrincipal } from './principal.js';

export const ADMINISTRATOR_APP_ROLE = 'PinReset.Administrator';

/** An admin holds one of the configured directory roles (`wids`) or the service's app role. */
export function isAdministrator(principal: UserPrincipal, roleTemplateIds: readonly string[]): boolean {
  return principal.roles.includes(ADMINISTRATOR_APP_ROLE) || principal.wids.some((wid) => roleTemplateIds.includes(wid));
}

/** "Global Administrator or Intune Administrator (directory roles), or the app role PinReset.Administrator". */
export function describeAdministratorRoles(roleTemplateIds: readonly string[]): string {
  const names = roleTemplateIds.map((id) => ROLE_DISPLAY_NAMES[id] ?? `role template ${id}`);
  const roles = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'none configured');
  return `${roles} (directory roles), or the app role ${ADMINISTRATOR_APP_ROLE}`;
}

export function requireAdministrator(principal: UserPrincipal, roleTemplateIds: readonly string[]): void {
  if (!isAdministrator(principal, roleTemplateIds)) {
    throw new ServiceError(
      'Authorization_RequestDenied',
      `Insufficient privileges to complete the operation. It needs one of: ${describeAdministratorRoles(roleTemplateIds)}; sign in as such a user.`,
    );
  }
}

/**
 * An admin route that names a tenant must name the caller's own; another tenant is 404 so that the
 * answer never reveals whether that tenant exists here.
 */
export function requireOwnTenant(principal: UserPrincipal, tenantIdFromRoute: string | undefined): void {
  if (!tenantIdFromRoute || tenantIdFromRoute.toLowerCase() !== principal.tenantId) {
    throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.');
  }
}

export interface MfaPolicy {
  maxAgeSeconds: number;
  authContextId: string | undefined;
}

/** The claims challenge a client sends back to Entra to step up (base64 of the JSON claims request). */
export function mfaClaimsChallenge(policy: MfaPolicy): string {
  const claims = policy.authContextId
    ? { access_token: { acrs: { essential: true, value: policy.authContextId } } }
    : { access_token: { amr: { essential: true, values: ['mfa', 'ngcmfa'] } } };
  return Buffer.from(JSON.stringify(claims)).toString('base64');
}

/**
 * MFA: `amr` has mfa/ngcmfa or `acrs` has the configured auth context, and it happened no longer than
 * `maxAgeSeconds` ago (auth_time when present, else iat).
 */
export function requireRecentMfa(principal: UserPrincipal, policy: MfaPolicy, nowSeconds: number, authorizationUri: string): void {
  const hasMfa =
    principal.amr.includes('mfa') || principal.amr.includes('ngcmfa') || (policy.authContextId !== undefined && principal.acrs.includes(policy.authContextId));
  const authenticatedAt = principal.authTime ?? principal.issuedAt;
  const fresh = nowSeconds - authenticatedAt <= policy.maxAgeSeconds;
  if (hasMfa && fresh) return;
  const message = hasMfa
    ? 'Multi-factor authentication is too old for this operation. Sign in again with multi-factor authentication.'
    : 'Multi-factor authentication is required for this operation.';
  throw new ServiceError('MfaRequired', message, {
    headers: {
      'WWW-Authenticate': `Bearer realm="", authorization_uri="${authorizationUri}", error="insufficient_claims", claims="${mfaClaimsChallenge(policy)}"`,
    },
  });
}
