import { randomUUID } from 'node:crypto';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { getSimulation, type DevTokenRequest } from '../../shared/dev/simulation.js';

export function randomTenantId(): string {
  return randomUUID();
}

/** A real RS256 user token from the simulated Entra ID (trusted by the service in tests). */
export async function userToken(request: Partial<DevTokenRequest> & { tid: string }): Promise<string> {
  const { access_token } = await getSimulation().issueUserToken({ oid: randomUUID(), ...request });
  return access_token;
}

export function adminToken(tid: string, extra: Partial<DevTokenRequest> = {}): Promise<string> {
  return userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator], ...extra });
}

export function mfaToken(tid: string, oid: string, extra: Partial<DevTokenRequest> = {}): Promise<string> {
  return userToken({ tid, oid, amr: ['pwd', 'mfa'], ...extra });
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
