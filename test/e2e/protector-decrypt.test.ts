import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { currentProtectorKey } from '../../cli/client/protector.js';
import type { GraphErrorEnvelope, ProtectorJwks } from '../../cli/client/types.js';
import { activateTenant } from '../support/active-tenant.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { protect } from '../support/protector-client.js';
import { bearer, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

describe('protector decrypt over HTTP', () => {
  it('fetches the JWKS, protects a secret with it and decrypts it after MFA, no-store', async () => {
    const tid = await activateTenant();
    const oid = randomUUID();
    const keys = await host.request(`/v1.0/organization/${tid}/pinResetProtectorKeys`, { headers: bearer(await userToken({ tid, oid })) });
    expect(keys.status).toBe(200);
    const jwk = await currentProtectorKey(await jsonOf<ProtectorJwks>(keys));
    const { jwe, secret } = await protect(jwk, { tid, oid });
    const response = await host.request('/unprotectsecret/v1', {
      method: 'POST',
      headers: { ...bearer(await userToken({ tid, oid, amr: ['pwd', 'mfa'] })), 'content-type': 'application/json' },
      body: JSON.stringify({ protectedSecret: jwe }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ secret, keyId: jwk.kid, reprotectRecommended: false });
  });

  it('refuses an oversized body with 413 before reading a token or any crypto', async () => {
    const response = await host.request('/v1.0/me/pinResetProtector/decrypt', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ protectedSecret: 'x'.repeat(200 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect((await jsonOf<GraphErrorEnvelope>(response)).error.code).toBe('RequestEntityTooLarge');
  });
});
