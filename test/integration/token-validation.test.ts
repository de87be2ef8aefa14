import { createPublicKey, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { JwksCache } from '../../shared/identity/jwks-cache.js';
import { Services, setServices } from '../../shared/wiring.js';
import { invoke, type InvokeResult } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { randomTenantId, userToken } from '../support/tokens.js';

const { server, simulation } = useSimulatedMicrosoft();
/** Development mode: the service trusts its development authority (config.authorityUrl). */
const AUTHORITY = getConfig().authorityUrl;
const JWKS_URL = `${AUTHORITY}/common/discovery/v2.0/keys`;

// A fresh JWKS cache per test, so fetch counts and outages are per test.
beforeEach(() => setServices(new Services(getConfig())));

function base64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function validClaims(tid: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { aud: getConfig().serviceAppId, iss: `${AUTHORITY}/${tid}/v2.0`, tid, oid: randomUUID(), iat: now, nbf: now, exp: now + 3600, ver: '2.0' };
}

function callOrganization(authorization: string | undefined): Promise<InvokeResult> {
  return invoke('GET', '/v1.0/organization?$select=id', { headers: authorization === undefined ? {} : { Authorization: authorization } });
}

function expectRefused(response: InvokeResult, message?: RegExp): void {
  expect(response.status).toBe(401);
  const body = response.json();
  expect(body.error.code).toBe('InvalidAuthenticationToken');
  expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
  expect(response.headers.get('www-authenticate')).toContain(`Bearer realm="", authorization_uri="${AUTHORITY}/common/oauth2/v2.0/authorize", client_id="`);
  if (message) expect(body.error.message).toMatch(message);
}

async function devKid(): Promise<string> {
  const { keys } = await simulation.signer.jwks(AUTHORITY);
  return keys[0]?.kid ?? '';
}

describe('Entra access token validation', () => {
  it('accepts a v2 token and a v1 token for the service app', async () => {
    const tid = randomTenantId();
    const v2 = await callOrganization(`Bearer ${await userToken({ tid, ver: '2.0' })}`);
    const v1 = await callOrganization(`Bearer ${await userToken({ tid, ver: '1.0' })}`);
    expect(v2.status).toBe(200);
    expect(v1.status).toBe(200);
    expect(v1.json().value[0].id).toBe(tid);
  });

  it('accepts the App ID URI as audience', async () => {
    const response = await callOrganization(`Bearer ${await userToken({ tid: randomTenantId(), aud: getConfig().serviceAppIdUri })}`);
    expect(response.status).toBe(200);
  });

  it('refuses a request without Authorization, without an error attribute in the challenge', async () => {
    const response = await callOrganization(undefined);
    expectRefused(response, /Access token is empty/);
    expect(response.headers.get('www-authenticate')).not.toContain('error=');
  });

  it.each([
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a garbled bearer value', 'Bearer not-a-jwt'],
    ['a bearer with an undecodable header', 'Bearer !!!.???.***'],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s', async (_name, authorization) => {
    expectRefused(await callOrganization(authorization));
  });

  it('refuses alg none', async () => {
    const tid = randomTenantId();
    const token = `${base64url({ alg: 'none', typ: 'JWT', kid: await devKid() })}.${base64url(validClaims(tid))}.`;
    expectRefused(await callOrganization(`Bearer ${token}`), /algorithm is not allowed/);
  });

  it('refuses HS256 signed with the public key of the JWKS (key confusion)', async () => {
    const tid = randomTenantId();
    const { keys } = await simulation.signer.jwks(AUTHORITY);
    const publicPem = createPublicKey({ key: keys[0] as JWK & { kty: 'RSA' }, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT(validClaims(tid))
      .setProtectedHeader({ alg: 'HS256', kid: await devKid() })
      .sign(new TextEncoder().encode(String(publicPem)));
    expectRefused(await callOrganization(`Bearer ${token}`), /algorithm is not allowed/);
  });

  it('refuses a token signed by a key that is not in the JWKS, even with a trusted kid', async () => {
    const attacker = await generateKeyPair('RS256');
    const token = await new SignJWT(validClaims(randomTenantId())).setProtectedHeader({ alg: 'RS256', kid: await devKid() }).sign(attacker.privateKey);
    expectRefused(await callOrganization(`Bearer ${token}`), /Invalid signature/);
  });

  it('refuses an unknown kid and refetches the JWKS at most once per 30 seconds', async () => {
    let fetches = 0;
    server.events.on('request:start', ({ request }) => {
      if (request.url === JWKS_URL) fetches += 1;
    });
    const attacker = await generateKeyPair('RS256');
    const forged = () =>
      new SignJWT(validClaims(randomTenantId())).setProtectedHeader({ alg: 'RS256', kid: `unknown-${randomUUID()}` }).sign(attacker.privateKey);
    expectRefused(await callOrganization(`Bearer ${await forged()}`), /signing key is not trusted/);
    expectRefused(await callOrganization(`Bearer ${await forged()}`), /signing key is not trusted/);
    expectRefused(await callOrganization(`Bearer ${await forged()}`), /signing key is not trusted/);
    server.events.removeAllListeners();
    expect(fetches).toBe(1);
  });

  it('refuses a token signed by a JWKS key that is restricted to another issuer (Storm-0558 class), and accepts the same key when it is valid for the tenant', async () => {
    const other = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = await exportJWK(other.publicKey);
    const devKeys = (await simulation.signer.jwks(AUTHORITY)).keys;
    const serveWithIssuer = (issuer: string) =>
      server.use(http.get(JWKS_URL, () => HttpResponse.json({ keys: [...devKeys, { ...publicJwk, kid: 'other-service-key', use: 'sig', issuer }] })));
    const tid = randomTenantId();
    const forged = await new SignJWT(validClaims(tid)).setProtectedHeader({ alg: 'RS256', kid: 'other-service-key' }).sign(other.privateKey);

    serveWithIssuer(`${AUTHORITY}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`);
    expectRefused(await callOrganization(`Bearer ${forged}`), /not valid for this issuer/);

    setServices(new Services(getConfig()));
    serveWithIssuer(`${AUTHORITY}/{tenantid}/v2.0`);
    expect((await callOrganization(`Bearer ${forged}`)).status).toBe(200);
  });

  it('refuses a wrong audience', async () => {
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid: randomTenantId(), aud: 'https://graph.microsoft.com' })}`), /Invalid audience/);
  });

  it("in development mode trusts the development authority's issuer only, not login.microsoftonline.com", async () => {
    const tid = randomTenantId();
    expect(AUTHORITY).toBe(`${getConfig().publicBaseUrl}/dev/login`);
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid, iss: `https://login.microsoftonline.com/${tid}/v2.0` })}`), /Invalid issuer/);
  });

  it('refuses an issuer that is not Entra', async () => {
    const tid = randomTenantId();
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid, iss: `https://evil.example.com/${tid}/v2.0` })}`), /Invalid issuer/);
  });

  it("refuses an issuer that names another tenant than the token's tid (multi-tenant rule)", async () => {
    const tid = randomTenantId();
    const other = randomTenantId();
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid, iss: `${AUTHORITY}/${other}/v2.0` })}`), /Invalid issuer/);
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid, ver: '1.0', iss: `https://sts.windows.net/${other}/` })}`), /Invalid issuer/);
  });

  it('refuses a token expired for longer than the 5-minute skew, and accepts one inside it', async () => {
    const tid = randomTenantId();
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid, expiresInSeconds: -301 - 5 })}`), /expired or is not yet valid/);
    expect((await callOrganization(`Bearer ${await userToken({ tid, expiresInSeconds: -120 })}`)).status).toBe(200);
  });

  it('refuses a token whose nbf is more than 5 minutes in the future', async () => {
    expectRefused(await callOrganization(`Bearer ${await userToken({ tid: randomTenantId(), notBeforeSecondsFromNow: 600 })}`), /expired or is not yet valid/);
  });

  it('refuses a token without a tid or with a malformed one', async () => {
    const claims = validClaims(randomTenantId());
    const noTid = await simulation.signer.sign({ ...claims, tid: undefined });
    const badTid = await simulation.signer.sign({ ...claims, tid: 'contoso' });
    expectRefused(await callOrganization(`Bearer ${noTid}`));
    expectRefused(await callOrganization(`Bearer ${badTid}`));
  });

  it('answers 503 with Retry-After, not 401, when the JWKS endpoint fails', async () => {
    server.use(http.get(JWKS_URL, () => HttpResponse.json({ error: 'boom' }, { status: 500 })));
    const response = await callOrganization(`Bearer ${await userToken({ tid: randomTenantId() })}`);
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('ServiceUnavailable');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps serving with cached keys when the JWKS endpoint goes down later', async () => {
    const tid = randomTenantId();
    expect((await callOrganization(`Bearer ${await userToken({ tid })}`)).status).toBe(200);
    server.use(http.get(JWKS_URL, () => HttpResponse.error()));
    expect((await callOrganization(`Bearer ${await userToken({ tid })}`)).status).toBe(200);
  });

  it('never echoes the token in the error body', async () => {
    const token = await userToken({ tid: randomTenantId(), aud: 'wrong' });
    const response = await callOrganization(`Bearer ${token}`);
    expect(response.text).not.toContain(token.split('.')[1]);
  });
});

describe('the JWKS cache', () => {
  it('refetches for an unknown kid again once 30 seconds have passed, not before', async () => {
    let now = 1_000_000;
    let fetches = 0;
    server.events.on('request:start', ({ request }) => {
      if (request.url === JWKS_URL) fetches += 1;
    });
    const cache = new JwksCache({ url: JWKS_URL, now: () => now });
    expect(await cache.getKey('unknown-kid')).toBeUndefined();
    now += 29_000;
    expect(await cache.getKey('unknown-kid')).toBeUndefined();
    expect(fetches).toBe(1);
    now += 2_000;
    expect(await cache.getKey('unknown-kid')).toBeUndefined();
    expect(await cache.getKey(await devKid())).toBeDefined();
    server.events.removeAllListeners();
    expect(fetches).toBe(2);
  });
});

describe('MFA on the decrypt route', () => {
  it('answers 401 MfaRequired with the claims challenge for a token that has no amr claim at all', async () => {
    const tid = randomTenantId();
    const { amr: _omitted, ...claims } = { ...validClaims(tid), amr: undefined };
    const token = await simulation.signer.sign(claims);
    const response = await invoke('POST', '/v1.0/me/pinResetProtector/decrypt', {
      headers: { Authorization: `Bearer ${token}` },
      body: { protectedSecret: 'x' },
    });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe('MfaRequired');
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_claims", claims="[A-Za-z0-9+/=]+"/);
  });
});
