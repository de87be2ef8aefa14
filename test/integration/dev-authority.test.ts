import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { getConfig, ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { approveDeviceCode, completeAuthorization, DevBrowser } from '../../shared/dev/login-browser.js';
import { DEV_CLIENT_SECRET } from '../../shared/identity/app-token-provider.js';
import { activateTenant } from '../support/active-tenant.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { currentKey, protect } from '../support/protector-client.js';
import { randomTenantId } from '../support/tokens.js';

useSimulatedMicrosoft();
const host = useLocalHost();
afterEach(() => getSimulation().authority.useClock(Date.now));

const authority = () => getConfig().authorityUrl;
const apiScope = () => `${getConfig().serviceAppIdUri}/user_impersonation`;
const LOOPBACK_REDIRECT = 'http://127.0.0.1:53682/callback';

function person(tid: string, extra: Partial<{ directoryRoles: string[]; appRoles: string[] }> = {}) {
  return { userPrincipalName: `user-${randomUUID().slice(0, 8)}@contoso.test`, displayName: 'Test User', tenantId: tid, ...extra };
}

/**
 * The public client app, as the agent configures it: openid-client, plain http allowed for loopback
 * only. At organizations the discovered issuer is Entra's `{tenantid}` template, which openid-client
 * accepts only from https://login.microsoftonline.com itself: there the client names the discovery
 * document itself (no issuer comparison) and asks for no id token.
 */
async function publicClient(tenant: string): Promise<client.Configuration> {
  const server = tenant === 'organizations' ? `${authority()}/organizations/v2.0/.well-known/openid-configuration` : `${authority()}/${tenant}/v2.0`;
  return client.discovery(new URL(server), getConfig().clientAppId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
}

async function tokenRequest(tenant: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${authority()}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

async function organizationAs(accessToken: string): Promise<Response> {
  return host.request('/v1.0/organization?$select=id', { headers: { Authorization: `Bearer ${accessToken}` } });
}

async function codeFlow(config: client.Configuration, tid: string, options: { claims?: string; mfa?: boolean; user?: ReturnType<typeof person> } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizeUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: LOOPBACK_REDIRECT,
    scope: `openid profile offline_access ${apiScope()}`,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...(options.claims ? { claims: options.claims } : {}),
  });
  const callback = await completeAuthorization({
    authorizeUrl: authorizeUrl.toString(),
    user: options.user ?? person(tid),
    ...(options.mfa === undefined ? {} : { mfa: options.mfa }),
  });
  return { callback: new URL(callback), verifier, state, nonce };
}

describe('development authority: discovery and keys', () => {
  it('publishes an Entra-shaped discovery document with the device code grant and S256', async () => {
    const tid = randomTenantId();
    const response = await host.request(`/dev/login/${tid}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      issuer: `${authority()}/${tid}/v2.0`,
      authorization_endpoint: `${authority()}/${tid}/oauth2/v2.0/authorize`,
      token_endpoint: `${authority()}/${tid}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${authority()}/${tid}/oauth2/v2.0/devicecode`,
      jwks_uri: `${authority()}/${tid}/discovery/v2.0/keys`,
    });
    expect(document.code_challenge_methods_supported).toContain('S256');
    expect(document.grant_types_supported).toEqual(
      expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token', 'client_credentials']),
    );
    const multi = (await (await host.request('/dev/login/organizations/v2.0/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(multi.issuer).toBe(`${authority()}/{tenantid}/v2.0`);
    const keys = (await (await host.request(`/dev/login/${tid}/discovery/v2.0/keys`)).json()) as { keys: { kid: string; issuer: string }[] };
    expect(keys.keys[0]?.issuer).toBe(`${authority()}/{tenantid}/v2.0`);
  });

  it("answers an unknown domain with Entra's error JSON (AADSTS90002)", async () => {
    const response = await host.request('/dev/login/nobody.example/v2.0/.well-known/openid-configuration');
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
    expect(body.error_description).toMatch(/^AADSTS90002: /);
    for (const field of ['timestamp', 'trace_id', 'correlation_id']) expect(typeof body[field]).toBe('string');
    // As Entra writes them: the description's trace lines after CRLF, and the page that explains the code.
    expect(body.error_description).toBe(
      `AADSTS90002: Tenant 'nobody.example' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.\r\nTrace ID: ${body.trace_id}\r\nCorrelation ID: ${body.correlation_id}\r\nTimestamp: ${body.timestamp}`,
    );
    expect(body.error_uri).toBe('https://login.microsoftonline.com/error?code=90002');
  });

  it('the service resolves a tenant through it, and GET /signin-configuration names it', async () => {
    const response = await host.request('/signin-configuration');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      authority: authority(),
      cloud: 'public',
      clientId: getConfig().clientAppId,
      tenant: 'organizations',
      scopes: [apiScope()],
    });
    expect(authority()).toBe(`${host.url}/dev/login`);
  });
});

describe('development authority: device code flow (openid-client)', () => {
  it('pending, then approved on the verification page, then a token the service accepts', async () => {
    const tid = randomTenantId();
    const config = await publicClient(tid);
    const device = await client.initiateDeviceAuthorization(config, { scope: `openid profile offline_access ${apiScope()}` });
    expect(device).toMatchObject({ verification_uri: `${authority()}/devicelogin`, expires_in: 900, interval: 1 });
    expect(device.user_code).toMatch(/^[A-Z0-9]{9}$/);
    expect(device.message).toContain(device.user_code);

    const pending = await tokenRequest(tid, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: getConfig().clientAppId,
      device_code: device.device_code,
    });
    expect(pending.status).toBe(400);
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    const tooFast = await tokenRequest(tid, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: getConfig().clientAppId,
      device_code: device.device_code,
    });
    expect(await tooFast.json()).toMatchObject({ error: 'slow_down' });

    const user = person(tid, { directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator] });
    const approval = await approveDeviceCode({ verificationUri: device.verification_uri, userCode: device.user_code.toLowerCase(), user });
    expect(approval.approved).toBe(true);
    expect(approval.text).toContain(user.userPrincipalName);

    const tokens = await client.pollDeviceAuthorizationGrant(config, device);
    expect(tokens.refresh_token).toBeTruthy();
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: `${authority()}/${tid}/v2.0`, tid, aud: getConfig().clientAppId, preferred_username: user.userPrincipalName });
    const organization = await organizationAs(tokens.access_token);
    expect(organization.status).toBe(200);
    expect(await organization.json()).toMatchObject({ value: [{ id: tid }] });
    const access = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(access).toMatchObject({
      aud: getConfig().serviceAppId,
      scp: 'user_impersonation',
      tid,
      wids: [ROLE_TEMPLATE_IDS.globalAdministrator],
      amr: ['pwd'],
      name: 'Test User',
      ver: '2.0',
    });
    expect(typeof access.auth_time).toBe('number');

    const again = await tokenRequest(tid, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: getConfig().clientAppId,
      device_code: device.device_code,
    });
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('an unused device code expires: expired_token', async () => {
    const config = await publicClient('organizations');
    const device = await client.initiateDeviceAuthorization(config, { scope: apiScope() });
    const start = Date.now();
    getSimulation().authority.useClock(() => start + 16 * 60_000);
    const error = await client.pollDeviceAuthorizationGrant(config, device).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    expect((error as client.ResponseBodyError).error).toBe('expired_token');
    const page = await approveDeviceCode({ verificationUri: device.verification_uri, userCode: device.user_code, user: person(randomTenantId()) }).catch(
      (caught: Error) => caught,
    );
    expect(String(page)).toMatch(/not valid or has expired/);
  });

  it('a user who cancels on the verification page denies the device: access_denied', async () => {
    const config = await publicClient('organizations');
    const device = await client.initiateDeviceAuthorization(config, { scope: apiScope() });
    const approval = await approveDeviceCode({
      verificationUri: device.verification_uri,
      userCode: device.user_code,
      user: person(randomTenantId()),
      cancel: true,
    });
    expect(approval.approved).toBe(false);
    const error = await client.pollDeviceAuthorizationGrant(config, device).catch((caught: unknown) => caught);
    expect((error as client.ResponseBodyError).error).toBe('access_denied');
  });

  it('at organizations, the user picks the tenant; the token names it (no id token asked)', async () => {
    const tid = randomTenantId();
    const config = await publicClient('organizations');
    const device = await client.initiateDeviceAuthorization(config, { scope: `offline_access ${apiScope()}` });
    expect((await approveDeviceCode({ verificationUri: device.verification_uri, userCode: device.user_code, user: person(tid) })).approved).toBe(true);
    const tokens = await client.pollDeviceAuthorizationGrant(config, device);
    expect(tokens.id_token).toBeUndefined();
    const organization = await organizationAs(tokens.access_token);
    expect(await organization.json()).toMatchObject({ value: [{ id: tid }] });
  });
});

describe('development authority: authorization code + PKCE (openid-client)', () => {
  it('redeems a code once, with the right verifier and redirect_uri only; the id token carries the nonce', async () => {
    const tid = randomTenantId();
    const config = await publicClient(tid);
    const good = await codeFlow(config, tid);
    expect(good.callback.origin + good.callback.pathname).toBe(LOOPBACK_REDIRECT);

    const wrongVerifier = await codeFlow(config, tid);
    const refusedVerifier = await client
      .authorizationCodeGrant(config, wrongVerifier.callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: wrongVerifier.state,
        expectedNonce: wrongVerifier.nonce,
      })
      .catch((caught: unknown) => caught);
    expect(refusedVerifier).toMatchObject({ error: 'invalid_grant' });
    expect((refusedVerifier as client.ResponseBodyError).error_description).toMatch(/^AADSTS50148: /);

    const wrongRedirect = await codeFlow(config, tid);
    const elsewhere = new URL(`http://127.0.0.1:53683/other${wrongRedirect.callback.search}`);
    const refusedRedirect = await client
      .authorizationCodeGrant(config, elsewhere, {
        pkceCodeVerifier: wrongRedirect.verifier,
        expectedState: wrongRedirect.state,
        expectedNonce: wrongRedirect.nonce,
      })
      .catch((caught: unknown) => caught);
    expect(refusedRedirect).toMatchObject({ error: 'invalid_grant' });
    expect((refusedRedirect as client.ResponseBodyError).error_description).toMatch(/redirect_uri/);

    const checks = { pkceCodeVerifier: good.verifier, expectedState: good.state, expectedNonce: good.nonce };
    const tokens = await client.authorizationCodeGrant(config, good.callback, checks);
    expect(tokens.claims()).toMatchObject({ nonce: good.nonce, tid, aud: getConfig().clientAppId });
    expect((await organizationAs(tokens.access_token)).status).toBe(200);

    const reused = await client.authorizationCodeGrant(config, good.callback, checks).catch((caught: unknown) => caught);
    expect(reused).toMatchObject({ error: 'invalid_grant' });
    expect((reused as client.ResponseBodyError).error_description).toMatch(/^AADSTS54005: /);
    // The replay revoked what the first redemption got.
    const revoked = await client.refreshTokenGrant(config, tokens.refresh_token!).catch((caught: unknown) => caught);
    expect(revoked).toMatchObject({ error: 'invalid_grant' });
  });

  it('requires PKCE S256 and a registered redirect URI, and is never an open redirector', async () => {
    const tid = randomTenantId();
    const base = `/dev/login/${tid}/oauth2/v2.0/authorize`;
    const query = (extra: Record<string, string>) =>
      new URLSearchParams({
        client_id: getConfig().clientAppId,
        response_type: 'code',
        redirect_uri: LOOPBACK_REDIRECT,
        scope: apiScope(),
        state: 's1',
        ...extra,
      });
    const noPkce = await host.request(`${base}?${query({})}`);
    expect(noPkce.status).toBe(302);
    const location = new URL(noPkce.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(LOOPBACK_REDIRECT);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'invalid_request', state: 's1' });

    const challenge = { code_challenge: 'A'.repeat(43), code_challenge_method: 'S256' };
    for (const redirectUri of [
      'https://evil.example/cb',
      'http://evil.example:8080/',
      'https://127.0.0.1:8443/cb',
      'http://localhost.evil.example/',
      `${host.url}/portal/#x`,
    ]) {
      const response = await host.request(`${base}?${query({ ...challenge, redirect_uri: redirectUri })}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('AADSTS50011');
    }
    const service = await host.request(`${base}?${query({ ...challenge, client_id: getConfig().serviceAppId })}`);
    expect(service.status).toBe(400);
    const page = await host.request(`${base}?${query(challenge)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await page.text();
    expect(html).toContain('<main>');
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<label for="userPrincipalName">/);
  });

  it('refuses a sign-in form posted from another site', async () => {
    const tid = randomTenantId();
    const response = await host.request(`/dev/login/${tid}/oauth2/v2.0/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
      body: 'step=signin&interaction=x',
    });
    expect(response.status).toBe(403);
  });

  it('rotates refresh tokens: the old one is refused after use, and its replay revokes the new one', async () => {
    const tid = randomTenantId();
    const config = await publicClient(tid);
    const flow = await codeFlow(config, tid);
    const first = await client.authorizationCodeGrant(config, flow.callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await organizationAs(second.access_token)).status).toBe(200);
    const replay = await client.refreshTokenGrant(config, first.refresh_token!).catch((caught: unknown) => caught);
    expect(replay).toMatchObject({ error: 'invalid_grant' });
    const afterReplay = await client.refreshTokenGrant(config, second.refresh_token!).catch((caught: unknown) => caught);
    expect(afterReplay).toMatchObject({ error: 'invalid_grant' });
  });

  it('MFA step-up: decrypt refused without MFA, the claims challenge forces the MFA step, then the decrypt succeeds', async () => {
    const tid = await activateTenant();
    const config = await publicClient(tid);
    const user = person(tid);
    const plain = await codeFlow(config, tid, { user });
    const plainTokens = await client.authorizationCodeGrant(config, plain.callback, {
      pkceCodeVerifier: plain.verifier,
      expectedState: plain.state,
      expectedNonce: plain.nonce,
    });
    const oid = plainTokens.claims()!.oid as string;
    const secret = await protect(await currentKey(tid, plainTokens.access_token), { tid, oid });

    const decrypt = (token: string) =>
      host.request('/v1.0/me/pinResetProtector/decrypt', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ protectedSecret: secret.jwe }),
      });
    const refused = await decrypt(plainTokens.access_token);
    expect(refused.status).toBe(401);
    const challenge = /claims="([^"]+)"/.exec(refused.headers.get('www-authenticate') ?? '')?.[1];
    expect(challenge).toBeTruthy();
    const claims = Buffer.from(challenge!, 'base64').toString('utf8');

    // A refresh cannot satisfy the challenge: the authority asks for interaction.
    const silent = await client.refreshTokenGrant(config, plainTokens.refresh_token!, { claims }).catch((caught: unknown) => caught);
    expect(silent).toMatchObject({ error: 'invalid_grant' });
    expect((silent as client.ResponseBodyError).error_description).toMatch(/^AADSTS50076: /);

    // Denying the MFA request ends the sign-in with access_denied.
    const denied = await codeFlow(config, tid, { user, claims, mfa: false });
    expect(denied.callback.searchParams.get('error')).toBe('access_denied');

    const stepUp = await codeFlow(config, tid, { user, claims });
    const mfaTokens = await client.authorizationCodeGrant(config, stepUp.callback, {
      pkceCodeVerifier: stepUp.verifier,
      expectedState: stepUp.state,
      expectedNonce: stepUp.nonce,
    });
    const decrypted = await decrypt(mfaTokens.access_token);
    expect(decrypted.status).toBe(200);
    expect(JSON.stringify(await decrypted.json())).toContain(secret.secret);
  });
});

describe('development authority: client credentials and client authentication', () => {
  it('gives the service app a Graph token with its secret, refuses a wrong secret (401) and public clients', async () => {
    const tid = randomTenantId();
    const scope = `https://${getConfig().graphHost}/.default`;
    const ok = await tokenRequest(tid, { grant_type: 'client_credentials', client_id: getConfig().serviceAppId, client_secret: DEV_CLIENT_SECRET, scope });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const assertion = await tokenRequest(tid, {
      grant_type: 'client_credentials',
      client_id: getConfig().serviceAppId,
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtaSJ9.c2ln',
    });
    expect(assertion.status).toBe(200);
    const wrong = await tokenRequest(tid, { grant_type: 'client_credentials', client_id: getConfig().serviceAppId, client_secret: 'guess', scope });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const publicApp = await tokenRequest(tid, { grant_type: 'client_credentials', client_id: getConfig().clientAppId, scope });
    expect(publicApp.status).toBe(400);
    expect(await publicApp.json()).toMatchObject({ error: 'unauthorized_client' });
    const unknownGrant = await tokenRequest(tid, { grant_type: 'password', client_id: getConfig().clientAppId });
    expect(await unknownGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('signs in the same person again by UPN, with the roles the page sets, and lists them on the sign-in page', async () => {
    const tid = randomTenantId();
    const config = await publicClient(tid);
    const user = person(tid, { appRoles: ['PinReset.Administrator'] });
    const browser = new DevBrowser();
    const first = await codeFlow(config, tid, { user });
    const tokens = await client.authorizationCodeGrant(config, first.callback, {
      pkceCodeVerifier: first.verifier,
      expectedState: first.state,
      expectedNonce: first.nonce,
    });
    const access = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(access.roles).toEqual(['PinReset.Administrator']);
    const page = await browser.open(
      client
        .buildAuthorizationUrl(config, {
          redirect_uri: LOOPBACK_REDIRECT,
          scope: apiScope(),
          code_challenge: 'A'.repeat(43),
          code_challenge_method: 'S256',
        })
        .toString(),
    );
    expect(page.html).toContain(user.userPrincipalName);
    expect(
      getSimulation()
        .directory.listUsers(tid)
        .map((found) => found.userPrincipalName),
    ).toEqual([user.userPrincipalName]);
  });
});
