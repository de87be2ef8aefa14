import { describe, expect, it } from 'vitest';
import { Api, claimsChallengeOf, GraphError } from '../../portal/src/api.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, randomTenantId, userToken } from '../support/tokens.js';

/**
 * The admin center's API client against the real service: errors carry the Graph message and request
 * id, a claims challenge (MfaRequired) sends the admin to sign in again with those claims, and a
 * refused token is refreshed once before giving up.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

class SignInRequested extends Error {
  constructor(readonly options: { claims?: string } | undefined) {
    super('sign-in requested');
  }
}

function sessionWith(tokens: (string | undefined)[]) {
  const calls: { forceRefresh?: boolean }[] = [];
  return {
    calls,
    async accessToken(options: { forceRefresh?: boolean } = {}) {
      calls.push(options);
      return tokens.shift();
    },
    async signIn(options?: { claims?: string }): Promise<never> {
      throw new SignInRequested(options);
    },
  };
}

describe('the admin center API client', () => {
  it('decodes a claims challenge', () => {
    const claims = '{"access_token":{"amr":{"essential":true,"values":["mfa","ngcmfa"]}}}';
    expect(claimsChallengeOf(`Bearer realm="", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`)).toBe(claims);
    expect(claimsChallengeOf('Bearer error="invalid_token"')).toBeUndefined();
    expect(claimsChallengeOf(null)).toBeUndefined();
  });

  it("steps up on 401 MfaRequired: signs in again with the service's claims challenge", async () => {
    const tid = randomTenantId();
    const session = sessionWith([await userToken({ tid, amr: ['pwd'] })]);
    const api = new Api(session, host.url);
    const failure = await api.call('POST', '/v1.0/me/pinResetProtector/decrypt', { body: { protectedSecret: 'x' } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SignInRequested);
    const claims = JSON.parse((failure as SignInRequested).options?.claims ?? '{}') as { access_token: { amr: { values: string[] } } };
    expect(claims.access_token.amr.values).toContain('mfa');
  });

  it('refreshes a refused token once and retries; signs in when that does not help', async () => {
    const tid = randomTenantId();
    const expired = await adminToken(tid, { expiresInSeconds: -3600 });
    const fresh = await adminToken(tid);
    const refreshed = sessionWith([expired, fresh]);
    const status = await new Api(refreshed, host.url).get<{ state: string }>(`/v1.0/organization/${tid}/pinResetOnboarding`);
    expect(status.state).toBe('notStarted');
    expect(refreshed.calls).toEqual([{}, { forceRefresh: true }]);

    const hopeless = sessionWith([expired, undefined]);
    const failure = await new Api(hopeless, host.url).get(`/v1.0/organization/${tid}/pinResetOnboarding`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SignInRequested);
    expect((failure as SignInRequested).options?.claims).toBeUndefined();
  });

  it('turns an error answer into a GraphError with the code, message and request id', async () => {
    const tid = randomTenantId();
    const api = new Api(sessionWith([await userToken({ tid })]), host.url);
    const failure = await api.get(`/v1.0/organization/${tid}/pinResetSettings`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GraphError);
    const error = failure as GraphError;
    expect(error.status).toBe(403);
    expect(error.code).toBe('Authorization_RequestDenied');
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
