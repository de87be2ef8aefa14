import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { ServiceError } from '../../shared/domain/errors.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { activateTenant, offboardTenant } from '../support/active-tenant.js';
import type { InvokeResult } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { userPrincipal } from '../support/principals.js';
import { craftJwe, currentKey, decrypt, decryptAudit, protect } from '../support/protector-client.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';
import { invoke } from '../support/invoke.js';

useSimulatedMicrosoft();

afterEach(() => setServices(undefined));

const UNIFORM = { code: 'InvalidProtectedSecret', message: 'The protected secret could not be decrypted.' };

/** The whole answer minus what differs per request (ids and date). */
function comparable(response: InvokeResult) {
  const body = response.json();
  delete body.error.innerError;
  const headers = [...response.headers.entries()].filter(([name]) => name !== 'request-id' && name !== 'client-request-id');
  return { status: response.status, body, headers };
}

/** From now on the audit log cannot be written (storage answers writes with 503); reads still work. */
function breakAuditWrites(): void {
  const base = getServices();
  const brokenAudit = {
    record: async () => {
      throw new ServiceError('ServiceUnavailable', 'Storage is temporarily unavailable. Retry later.');
    },
    list: base.audit.list.bind(base.audit),
  };
  setServices(new Services(base.config, { audit: brokenAudit, tables: base.tables }));
}

async function activeUser() {
  const tid = await activateTenant();
  const oid = randomUUID();
  return { tid, oid, jwk: await currentKey(tid) };
}

describe('POST /v1.0/me/pinResetProtector/decrypt', () => {
  it('gives back the 32-byte protector of a JWE made with the tenant JWKS, no-store, and audits the success', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe, secret } = await protect(jwk, { tid, oid });
    const response = await decrypt(jwe, { tid, oid });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ secret, keyId: jwk.kid, reprotectRecommended: false });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [event] = await decryptAudit(tid);
    expect(event).toMatchObject({
      activity: 'protectorDecrypt',
      result: 'success',
      resultReason: null,
      initiatedBy: { user: { id: oid } },
      targetResources: [{ id: jwk.kid, type: 'protectorKey' }],
      correlationId: response.headers.get('request-id'),
    });
  });

  it('answers the same on the wire-compatible POST /unprotectsecret/v1', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe, secret } = await protect(jwk, { tid, oid });
    const response = await decrypt(jwe, { tid, oid }, '/unprotectsecret/v1');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ secret, keyId: jwk.kid, reprotectRecommended: false });
  });

  it('still decrypts an old protector after a rotation, recommending to re-protect, and refuses it once that version is retired', async () => {
    const { tid, oid, jwk } = await activeUser();
    const old = await protect(jwk, { tid, oid });
    const admin = bearer(await adminToken(tid));
    const rotated = await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: admin });
    expect(rotated.status).toBe(200);
    const after = await decrypt(old.jwe, { tid, oid });
    expect(after.status).toBe(200);
    expect(after.json()).toEqual({ secret: old.secret, keyId: jwk.kid, reprotectRecommended: true });
    const fresh = await protect(await currentKey(tid), { tid, oid });
    expect((await decrypt(fresh.jwe, { tid, oid })).json().reprotectRecommended).toBe(false);

    const retired = await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions/${jwk.kid}/retire`, { headers: admin });
    expect(retired.status).toBe(200);
    const refused = await decrypt(old.jwe, { tid, oid });
    expect(refused.status).toBe(400);
    expect(refused.json().error).toMatchObject(UNIFORM);
    expect((await decryptAudit(tid))[0]).toMatchObject({ result: 'failure', resultReason: 'retiredKey' });
  });

  it('decrypts nothing of a tenant after offboarding, even with keys still in this process cache', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    expect((await decrypt(jwe, { tid, oid })).status).toBe(200);
    await offboardTenant(tid);
    const response = await decrypt(jwe, { tid, oid });
    expect(response.status).toBe(400);
    expect(response.json().error).toMatchObject(UNIFORM);
    // Even re-activating the tenant does not bring the destroyed key back.
    await activateTenant(tid);
    expect((await decrypt(jwe, { tid, oid })).status).toBe(400);
  });

  it('gives the identical 400 for every attack on the protected secret', async () => {
    setServices(new Services(loadConfig({ ...process.env, PINRESET_DECRYPT_LIMIT_PER_USER: '0' })));
    const { tid, oid, jwk } = await activeUser();
    const other = await activeUser();
    const good = await protect(jwk, { tid, oid });
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0]! ^= 1;
      return bytes.toString('base64url');
    };
    const header = { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid };
    const admin = bearer(await adminToken(tid));
    await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: admin });
    const retiredKid = jwk.kid;
    const key = await currentKey(tid);
    const oldProtector = good.jwe;
    await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions/${retiredKid}/retire`, { headers: admin });
    const live = await protect(key, { tid, oid });
    const [lh, lk, liv, lc, lt] = live.jwe.split('.') as [string, string, string, string, string];
    const liveHeader = { ...header, kid: key.kid };

    const attacks: Record<string, unknown> = {
      'empty string': '',
      'longer than any protected secret (9,000 chars)': `${live.jwe}.${'A'.repeat(9_000)}`,
      'a number instead of a string': 12345,
      null: null,
      'an object instead of a string': { jwe: live.jwe },
      'tampered ciphertext': [lh, lk, liv, flip(lc), lt].join('.'),
      'tampered tag': [lh, lk, liv, lc, flip(lt)].join('.'),
      'tampered key-wrap': [lh, flip(lk), liv, lc, lt].join('.'),
      'tampered iv': [lh, lk, flip(liv), lc, lt].join('.'),
      truncated: live.jwe.slice(0, live.jwe.length - 10),
      'four parts': [lh, lk, liv, lc].join('.'),
      'random 384-byte key-wrap': [lh, randomBytes(384).toString('base64url'), liv, lc, lt].join('.'),
      'unknown kid': craftJwe(key, { ...liveHeader, kid: 'A'.repeat(43) }),
      "another tenant's kid": craftJwe(other.jwk, { ...liveHeader, kid: other.jwk.kid }),
      'retired kid': oldProtector,
      'zip DEF': craftJwe(key, { ...liveHeader, zip: 'DEF' }),
      'alg RSA1_5': craftJwe(key, { ...liveHeader, alg: 'RSA1_5' }),
      'alg RSA-OAEP': craftJwe(key, { ...liveHeader, alg: 'RSA-OAEP' }),
      'alg dir': craftJwe(key, { ...liveHeader, alg: 'dir' }),
      'alg ECDH-ES': craftJwe(key, { ...liveHeader, alg: 'ECDH-ES' }),
      'enc A128CBC-HS256': craftJwe(key, { ...liveHeader, enc: 'A128CBC-HS256' }),
      'crit header': craftJwe(key, { ...liveHeader, crit: ['exp'] }),
      '31-byte plaintext': craftJwe(key, liveHeader, { plaintext: randomBytes(31) }),
      '33-byte plaintext': craftJwe(key, liveHeader, { plaintext: randomBytes(33) }),
      "header tid not the caller's": craftJwe(key, { ...liveHeader, tid: other.tid }),
      "header oid not the caller's (another user of the same tenant)": craftJwe(key, { ...liveHeader, oid: randomUUID() }),
      'header without oid': craftJwe(key, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: key.kid, tid }),
      'header not JSON': ['bm90IGpzb24', lk, liv, lc, lt].join('.'),
      'not a JWE at all': 'hello',
      'padding in base64url': `${lh}.${lk}.${liv}.${lc}.${lt}==`,
      'a path as kid': craftJwe(key, { ...liveHeader, kid: '../../Tenants' }),
    };
    // Sanity: the untouched live protector does decrypt.
    expect((await decrypt(live.jwe, { tid, oid })).status).toBe(200);
    const token = await userToken({ tid, oid, amr: ['pwd', 'mfa'] });
    const answers = new Map<string, ReturnType<typeof comparable>>();
    for (const [name, jwe] of Object.entries(attacks)) answers.set(name, comparable(await decrypt(jwe, { tid, oid, token })));
    const reference = answers.get('tampered tag');
    expect(reference?.status).toBe(400);
    expect(reference?.body).toEqual({ error: UNIFORM });
    for (const [name, answer] of answers) expect(answer, name).toEqual(reference);
    const reasons = new Set((await decryptAudit(tid)).filter((event) => event.result === 'failure').map((event) => event.resultReason));
    expect([...reasons].sort()).toEqual(['bindingMismatch', 'decryptFailed', 'malformed', 'retiredKey', 'unknownKey', 'unsupportedHeader']);
  });

  it('refuses a body over 64 KiB with 413 before anything is decrypted or audited', async () => {
    const { tid, oid } = await activeUser();
    const response = await decrypt('x'.repeat(70 * 1024), { tid, oid });
    expect(response.status).toBe(413);
    expect(response.json().error.code).toBe('RequestEntityTooLarge');
    expect(await decryptAudit(tid)).toEqual([]);
  });

  it('answers a body that is not {protectedSecret} with an ordinary 400 BadRequest naming the field', async () => {
    const { tid, oid } = await activeUser();
    const token = await userToken({ tid, oid, amr: ['mfa'] });
    const response = await invoke('POST', '/v1.0/me/pinResetProtector/decrypt', { headers: bearer(token), body: { secret: 'x' } });
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('BadRequest');
    expect(response.json().error.message).toContain('protectedSecret');
    expect(await decryptAudit(tid)).toEqual([
      expect.objectContaining({ result: 'failure', resultReason: 'invalidRequest', correlationId: response.headers.get('request-id') }),
    ]);
  });

  it('audits a decrypt whose body is not JSON as a failed attempt, and nothing for a caller without a valid token', async () => {
    const { tid, oid } = await activeUser();
    const token = await userToken({ tid, oid, amr: ['mfa'] });
    const response = await invoke('POST', '/v1.0/me/pinResetProtector/decrypt', {
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: '{"protectedSecret":',
    });
    expect(response.status).toBe(400);
    expect(await decryptAudit(tid)).toEqual([
      expect.objectContaining({ result: 'failure', resultReason: 'invalidRequest', initiatedBy: { user: expect.objectContaining({ id: oid }) } }),
    ]);
    const anonymous = await invoke('POST', '/v1.0/me/pinResetProtector/decrypt', { body: { protectedSecret: 'x' } });
    expect(anonymous.status).toBe(401);
    expect(await decryptAudit(tid)).toHaveLength(1);
  });
});

describe('MFA for decrypt', () => {
  it('answers 401 MfaRequired with an insufficient_claims challenge when the token has no amr mfa', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    const response = await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, amr: ['pwd'] }) });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe('MfaRequired');
    const challenge = /error="insufficient_claims", claims="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
    expect(JSON.parse(Buffer.from(challenge ?? '', 'base64').toString())).toEqual({ access_token: { amr: { essential: true, values: ['mfa', 'ngcmfa'] } } });
    // Still an attempt: audited as a failure, with no key named (nothing was parsed).
    expect(await decryptAudit(tid)).toEqual([
      expect.objectContaining({
        result: 'failure',
        resultReason: 'mfaRequired',
        initiatedBy: { user: expect.objectContaining({ id: oid }) },
        targetResources: [],
        correlationId: response.headers.get('request-id'),
      }),
    ]);
  });

  it('answers 503 instead of 401 when the refused attempt cannot be audited (fails closed, as every decrypt attempt)', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    breakAuditWrites();
    const response = await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, amr: ['pwd'] }) });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('ServiceUnavailable');
    expect(response.headers.get('retry-after')).toBe('5');
  });

  it('answers 401 MfaRequired when the MFA is older than PINRESET_MFA_MAX_AGE_SECONDS', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    const response = await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, amr: ['mfa'], issuedSecondsAgo: 601 }) });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe('MfaRequired');
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_claims"');
  });

  it.each([
    ['ngcmfa with a v2 token', { amr: ['ngcmfa'], ver: '2.0' as const }],
    ['mfa with a v1 token', { amr: ['pwd', 'mfa'], ver: '1.0' as const }],
    ['ngcmfa with a v1 token', { amr: ['rsa', 'ngcmfa'], ver: '1.0' as const }],
    ['MFA just within the maximum age', { amr: ['mfa'], issuedSecondsAgo: 590 }],
  ])('accepts %s', async (_name, claims) => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe, secret } = await protect(jwk, { tid, oid });
    const response = await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, ...claims }) });
    expect(response.status).toBe(200);
    expect(response.json().secret).toBe(secret);
  });

  it('accepts the configured auth-context (acrs) instead of amr', async () => {
    setServices(new Services(loadConfig({ ...process.env, PINRESET_MFA_AUTH_CONTEXT_ID: 'c1' })));
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    expect((await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, amr: ['pwd'], acrs: ['c1'] }) })).status).toBe(200);
    const refused = await decrypt(jwe, { tid, oid, token: await userToken({ tid, oid, amr: ['pwd'], acrs: ['c2'] }) });
    expect(refused.status).toBe(401);
    const challenge = /claims="([^"]+)"/.exec(refused.headers.get('www-authenticate') ?? '')?.[1] ?? '';
    expect(JSON.parse(Buffer.from(challenge, 'base64').toString())).toEqual({ access_token: { acrs: { essential: true, value: 'c1' } } });
  });

  it('answers 401 InvalidAuthenticationToken without a token', async () => {
    const response = await invoke('POST', '/v1.0/me/pinResetProtector/decrypt', { body: { protectedSecret: 'x' } });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe('InvalidAuthenticationToken');
  });
});

describe('decrypt audit and failure policy', () => {
  it('records the internal reason of each failure in the audit log but never in the answer', async () => {
    const { tid, oid, jwk } = await activeUser();
    const response = await decrypt(craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid: randomUUID() }), { tid, oid });
    expect(response.text).not.toContain('binding');
    expect((await decryptAudit(tid))[0]).toMatchObject({ result: 'failure', resultReason: 'bindingMismatch', targetResources: [{ id: jwk.kid }] });
  });

  it('fails closed with 503 and no secret when the audit record cannot be written', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe, secret } = await protect(jwk, { tid, oid });
    breakAuditWrites();
    const response = await decrypt(jwe, { tid, oid });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('ServiceUnavailable');
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.text).not.toContain(secret);
  });
});

describe('decrypt rate limits', () => {
  function limitedServices(env: Record<string, string>): Services {
    return new Services(loadConfig({ ...process.env, ...env }));
  }

  it('holds the per-user limit across two service instances sharing storage, with 429 and Retry-After', async () => {
    const { tid, oid, jwk } = await activeUser();
    const { jwe } = await protect(jwk, { tid, oid });
    const first = limitedServices({ PINRESET_DECRYPT_LIMIT_PER_USER: '3', PINRESET_DECRYPT_LIMIT_PER_TENANT: '0' });
    const second = limitedServices({ PINRESET_DECRYPT_LIMIT_PER_USER: '3', PINRESET_DECRYPT_LIMIT_PER_TENANT: '0' });
    const token = await userToken({ tid, oid, amr: ['mfa'] });
    const statuses: number[] = [];
    for (const services of [first, second, first, second, first, second]) {
      setServices(services);
      statuses.push((await decrypt(jwe, { tid, oid, token })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    setServices(first);
    const limited = await decrypt(jwe, { tid, oid, token });
    expect(limited.json().error.code).toBe('TooManyRequests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await decryptAudit(tid))[0]).toMatchObject({ result: 'failure', resultReason: 'rateLimited' });
    // Another user of the same tenant has their own allowance.
    const otherOid = randomUUID();
    const mine = await protect(jwk, { tid, oid: otherOid });
    expect((await decrypt(mine.jwe, { tid, oid: otherOid })).status).toBe(200);
  });

  it('holds the per-tenant limit under concurrent attempts from two instances', async () => {
    const { tid, jwk } = await activeUser();
    const env = { PINRESET_DECRYPT_LIMIT_PER_USER: '0', PINRESET_DECRYPT_LIMIT_PER_TENANT: '7' };
    const instances = [limitedServices(env), limitedServices(env)];
    const users = await Promise.all(
      Array.from({ length: 16 }, async (_, index) => {
        const oid = randomUUID();
        return { oid, index, protector: await protect(jwk, { tid, oid }), token: await userToken({ tid, oid, amr: ['mfa'] }) };
      }),
    );
    // Direct service calls so both instances really run at once.
    const results = await Promise.allSettled(
      users.map(async ({ oid, index, protector }) => {
        const services = instances[index % 2]!;
        const principal = userPrincipal(tid, oid, { issuedAt: 0 });
        return services.protectorDecrypt.decrypt(principal, protector.jwe, randomUUID());
      }),
    );
    const ok = results.filter((result) => result.status === 'fulfilled').length;
    const limited = results.filter((result) => result.status === 'rejected' && (result.reason as ServiceError).code === 'TooManyRequests').length;
    expect(ok).toBe(7);
    expect(limited).toBe(9);
  });
});
