import type { UserPrincipal } from '../../shared/identity/principal.js';

/**
 * A user as the token validator would hand it to a service (for tests that call services directly):
 * a v2 token with recent MFA, no roles, issued now. Override what the test is about.
 */
export function userPrincipal(tenantId: string, objectId: string, overrides: Partial<UserPrincipal> = {}): UserPrincipal {
  return {
    tenantId,
    objectId,
    userPrincipalName: undefined,
    roles: [],
    wids: [],
    amr: ['mfa'],
    acrs: [],
    tokenVersion: '2.0',
    issuedAt: Math.floor(Date.now() / 1000),
    authTime: undefined,
    deviceId: undefined,
    ...overrides,
  };
}
