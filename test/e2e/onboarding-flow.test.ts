import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { walkOnboarding } from '../../cli/client/onboarding.js';
import type { AuditEvent, Collection, GraphErrorEnvelope, OnboardingStatus, Organization } from '../../cli/client/types.js';
import { getConfig } from '../../shared/config.js';
import type { TenantLifecycleListener } from '../../shared/services/tenant-lifecycle.js';
import { Services, setServices } from '../../shared/wiring.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { DevBrowser, htmlToText } from '../../shared/dev/login-browser.js';
import { decide, locationOf, pathOf, signIn, signInToConsent, tenantAdmin, throughServiceConsent } from '../support/onboarding-browser.js';
import { adminToken, bearer, randomTenantId, userToken } from '../support/tokens.js';

const host = useLocalHost();
const { server, simulation } = useSimulatedMicrosoft();

afterEach(() => setServices(undefined));

/** Entra's success redirect for `tid`, made up: no consent page, no sign-in (and no onboarding cookie). */
async function forgedConsent(tid: string, state: string): Promise<Response> {
  return host.request(`/onboarding/callback?admin_consent=True&tenant=${tid}&state=${encodeURIComponent(state)}`);
}

async function auditOf(tid: string): Promise<AuditEvent[]> {
  const audit = await host.request('/v1.0/auditLogs/pinResetEvents?$top=50', { headers: bearer(await adminToken(tid)) });
  return (await jsonOf<Collection<AuditEvent>>(audit)).value;
}

async function status(tid: string) {
  const response = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return jsonOf<OnboardingStatus>(response);
}

describe('onboarding in development mode, driven like a browser', () => {
  it('goes start → sign-in → consent → Accept → client consent → Accept → a success page naming both service principal ids and who signed in, then reports active', async () => {
    const tid = randomTenantId();
    const config = getConfig();
    const admin = tenantAdmin({ displayName: 'Adele Vance' });

    const { browser, consentUrl: consent } = await signInToConsent(host, tid, { user: admin });
    const consentUrl = new URL(consent);
    expect(consentUrl.origin + consentUrl.pathname).toBe(`${host.url}/dev/login/${tid}/v2.0/adminconsent`);
    expect(consentUrl.searchParams.get('client_id')).toBe(config.serviceAppId);
    expect(consentUrl.searchParams.get('redirect_uri')).toBe(`${host.url}/onboarding/callback`);
    expect(consentUrl.searchParams.get('scope')).toBe(`${config.serviceAppIdUri}/.default`);
    expect(consentUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await status(tid)).state).toBe('serviceConsentPending');

    const consentPage = await browser.request(consentUrl.toString());
    expect(consentPage.status).toBe(200);
    expect(consentPage.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await consentPage.text()).toContain('PIN Reset Service (development)');

    const serviceCallback = new URL(await decide(browser, consentUrl.toString(), 'accept'));
    expect(serviceCallback.searchParams.get('admin_consent')).toBe('True');
    expect(serviceCallback.searchParams.get('tenant')).toBe(tid);
    expect(serviceCallback.searchParams.get('state')).toBe(consentUrl.searchParams.get('state'));

    const clientConsentUrl = new URL(locationOf(await browser.request(serviceCallback.toString())));
    expect(clientConsentUrl.searchParams.get('client_id')).toBe(config.clientAppId);
    expect(clientConsentUrl.searchParams.get('state')).not.toBe(consentUrl.searchParams.get('state'));
    const pending = await status(tid);
    expect(pending.state).toBe('clientConsentPending');
    expect(pending.serviceApplication.consented).toBe(true);

    const clientCallback = await decide(browser, clientConsentUrl.toString(), 'accept');
    const success = await browser.request(clientCallback);
    expect(success.status).toBe(200);
    const page = await success.text();
    const serviceSp = simulation.directory.servicePrincipal(tid, config.serviceAppId);
    const clientSp = simulation.directory.servicePrincipal(tid, config.clientAppId);
    expect(serviceSp && clientSp).toBeTruthy();
    expect(page).toContain('Onboarding succeeded');
    expect(page).toContain(serviceSp!.id);
    expect(page).toContain(clientSp!.id);
    expect(page).toContain(`/v1.0/organization/${tid}/pinRecoveryPolicy`);
    expect(htmlToText(page)).toContain(`Signed in as Adele Vance (${admin.userPrincipalName}).`);
    expect(page).toContain(`href="${host.url}/portal/"`);
    expect(page).toContain('review the PIN complexity settings first');
    expect(page).toContain('pinreset-agent admin settings');

    const active = await status(tid);
    expect(active).toMatchObject({
      state: 'active',
      failure: null,
      serviceApplication: { appId: config.serviceAppId, consented: true, servicePrincipalId: serviceSp!.id },
      clientApplication: { appId: config.clientAppId, consented: true, servicePrincipalId: clientSp!.id },
    });
    expect(active.lastVerifiedDateTime).toMatch(/Z$/);

    const adminId = simulation.directory.listUsers(tid).find((user) => user.userPrincipalName === admin.userPrincipalName)?.id;
    const events = await auditOf(tid);
    for (const activity of ['onboardingStarted', 'serviceConsentGranted', 'clientConsentGranted', 'onboardingCompleted']) {
      expect(events.find((event) => event.activity === activity)?.initiatedBy).toEqual({ user: { id: adminId, userPrincipalName: admin.userPrincipalName } });
    }

    const organization = await host.request('/v1.0/organization', { headers: bearer(await userToken({ tid })) });
    const [entity] = (await jsonOf<Collection<Organization>>(organization)).value;
    const directoryTenant = simulation.directory.tenant(tid);
    expect(entity?.displayName).toBe(directoryTenant.displayName);
    expect(entity?.verifiedDomains).toEqual(directoryTenant.verifiedDomains);
    expect(entity?.tenantType).toBe('AAD');
  });

  it("without a sign-in there is no consent: start answers 302 to the authority's authorization endpoint (code, PKCE, nonce, state) with an HttpOnly SameSite=Lax cookie", async () => {
    const tid = randomTenantId();
    const config = getConfig();
    const discovery = (await (await host.request(`/dev/login/${tid}/v2.0/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string };
    const start = await host.request(`/onboarding/start?tenant=${tid}`);
    const authorize = new URL(locationOf(start));
    expect(authorize.origin + authorize.pathname).toBe(discovery.authorization_endpoint);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: config.serviceAppId,
      redirect_uri: `${host.url}/onboarding/signin`,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    for (const name of ['code_challenge', 'nonce', 'state']) expect(authorize.searchParams.get(name)).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const cookie = start.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^pinreset-onboarding=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(authorize.searchParams.get('state')!);
    // Nothing happened in the tenant: no consent, no record, no service principal.
    expect(simulation.directory.servicePrincipal(tid, config.serviceAppId)).toBeUndefined();
    expect(await status(tid)).toMatchObject({ state: 'notStarted' });
    // The sign-in state cannot be used as a consent callback.
    const forged = await forgedConsent(tid, authorize.searchParams.get('state')!);
    expect(forged.status).toBe(400);
    expect(await status(tid)).toMatchObject({ state: 'notStarted' });
  });

  it('refuses a user without an administrator role with a page naming the roles needed and who is signed in', async () => {
    const tid = randomTenantId();
    const user = tenantAdmin({ displayName: 'Megan Bowen', directoryRoles: [] });
    const { page } = await signIn(host, tid, { user });
    expect(page.status).toBe(403);
    const text = htmlToText(page.html);
    expect(text).toContain('An administrator role is required');
    expect(text).toContain(`Signed in as Megan Bowen (${user.userPrincipalName}).`);
    expect(text).toContain('Global Administrator (62e90394-69f5-4237-9190-012177145e10)');
    expect(text).toContain('PinReset.Administrator');
    expect(simulation.directory.servicePrincipal(tid, getConfig().serviceAppId)).toBeUndefined();
    expect((await status(tid)).state).toBe('notStarted');
    // The PinReset.Administrator app role is enough.
    const appAdmin = await signIn(host, tid, { user: tenantAdmin({ directoryRoles: [], appRoles: ['PinReset.Administrator'] }) });
    expect(appAdmin.page.status).toBe(302);
  });

  it('refuses a sign-in state presented by another browser, before redeeming the code', async () => {
    const tid = randomTenantId();
    const browser = new DevBrowser();
    const signInRedirect = await browser.run(
      `${host.url}/onboarding/start?tenant=${tid}`,
      { user: tenantAdmin() },
      (url) => url.pathname === '/onboarding/signin',
    );
    expect(signInRedirect.status).toBe(302);
    const other = await host.request(pathOf(signInRedirect.url));
    expect(other.status).toBe(403);
    expect(htmlToText(await other.text())).toContain('This onboarding link belongs to another browser');
    // The state was single use: the right browser cannot use it any more either.
    expect((await browser.request(signInRedirect.url)).status).toBe(400);
    expect((await status(tid)).state).toBe('notStarted');
  });

  it('refuses a consent callback presented by another browser, audits it, and changes nothing', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = await decide(browser, consentUrl, 'accept');
    const stranger = new DevBrowser();
    const refused = await stranger.request(callback);
    expect(refused.status).toBe(403);
    expect(htmlToText(await refused.text())).toContain('belongs to another browser');
    expect((await status(tid)).state).not.toBe('clientConsentPending');
    const events = await auditOf(tid);
    expect(events.find((event) => event.result === 'failure')?.resultReason).toContain('not presented by the browser in which the administrator signed in');
  });
  it('accepts a verified domain at start and signs the admin in at the tenant id', async () => {
    const tid = randomTenantId();
    const domain = simulation.directory.tenant(tid).verifiedDomains[0]!.name;
    const location = new URL(locationOf(await host.request(`/onboarding/start?tenant=${domain}`)));
    expect(location.pathname).toBe(`/dev/login/${tid}/oauth2/v2.0/authorize`);
    const { consentUrl } = await signInToConsent(host, domain);
    expect(new URL(consentUrl).pathname).toBe(`/dev/login/${tid}/v2.0/adminconsent`);
  });

  it('answers a form without a tenant, and an HTML 400 for something that is not a tenant', async () => {
    const form = await host.request('/onboarding/start');
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<form method="get" action="/onboarding/start">');
    const bad = await host.request(`/onboarding/start?tenant=${encodeURIComponent('<b>x</b>')}`);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toContain('<b>x</b>');
    expect(text).toContain('neither a tenant id');
    const unknown = await host.request('/onboarding/start?tenant=nobody.example.com');
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('Unknown tenant');
  });

  it('records ConsentDenied when the admin presses Cancel on the service consent page', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = new URL(await decide(browser, consentUrl, 'cancel'));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const page = await browser.request(callback.toString());
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).toContain('Admin consent was not granted');
    expect(text).toContain('Admin consent to the PIN reset service application was not granted (access_denied, AADSTS65004).');
    expect(text).toContain(`/onboarding/start?tenant=${tid}`);
    expect(simulation.directory.servicePrincipal(tid, getConfig().serviceAppId)).toBeUndefined();
    const after = await status(tid);
    expect(after.state).toBe('failed');
    expect(after.failure?.code).toBe('ConsentDenied');
  });

  it('records ConsentDenied when the admin presses Cancel on the client consent page', async () => {
    const tid = randomTenantId();
    const { browser, clientConsentUrl } = await throughServiceConsent(host, tid);
    const callback = await decide(browser, clientConsentUrl, 'cancel');
    const page = await browser.request(callback);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Admin consent to the PIN reset client application was not granted (access_denied, AADSTS65004).');
    const after = await status(tid);
    expect(after.state).toBe('failed');
    expect(after.failure?.code).toBe('ConsentDenied');
    expect(after.serviceApplication.consented).toBe(true);
  });

  it('refuses a replayed state with a page that links to a new start', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = await decide(browser, consentUrl, 'accept');
    expect((await browser.request(callback)).status).toBe(302);
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
    const text = await replay.text();
    expect(text).toContain('already used');
    expect(text).toContain(`href="${host.url}/onboarding/start?tenant=${tid}"`);
  });

  it('refuses an expired state (older than 10 minutes)', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = await decide(browser, consentUrl, 'accept');
    setServices(new Services(getConfig(), { clock: () => new Date(Date.now() + 10 * 60_000 + 1_000) }));
    const response = await browser.request(callback);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('expired');
    // Nothing was recorded: the tenant never came back with a usable link, so it never started.
    expect(await status(tid)).toMatchObject({ state: 'notStarted', failure: null });
  });

  it('lets exactly one of two concurrent callbacks with the same state win', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = await decide(browser, consentUrl, 'accept');
    const responses = await Promise.all([browser.request(callback), browser.request(callback), browser.request(callback)]);
    expect(responses.map((response) => response.status).sort()).toEqual([302, 400, 400]);
  });

  it('fails with ServicePrincipalMissing naming the client app when Graph has no service principal for it', async () => {
    const tid = randomTenantId();
    const config = getConfig();
    const { browser, clientConsentUrl } = await throughServiceConsent(host, tid);
    const callback = await decide(browser, clientConsentUrl, 'accept');
    simulation.directory.removeServicePrincipal(tid, config.clientAppId);
    const page = await browser.request(callback);
    expect(page.status).toBe(409);
    const text = await page.text();
    expect(text).toContain('ServicePrincipalMissing');
    expect(text).toContain(`PIN reset client application (appId ${config.clientAppId})`);
    expect(text).not.toContain(`PIN reset service application (appId`);
    const after = await status(tid);
    expect(after.state).toBe('failed');
    expect(after.failure?.code).toBe('ServicePrincipalMissing');
    expect(after.clientApplication.consented).toBe(false);
  });

  it('retries Graph with backoff, then answers a clear 503 page and records GraphUnavailable', async () => {
    setServices(new Services(getConfig(), { microsoftRetry: { delaysMs: [1, 1, 1] } }));
    const tid = randomTenantId();
    const { browser, clientConsentUrl } = await throughServiceConsent(host, tid);
    const callback = await decide(browser, clientConsentUrl, 'accept');
    let calls = 0;
    server.use(
      http.get(`https://${getConfig().graphHost}/*`, () => {
        calls += 1;
        return HttpResponse.json({ error: { code: 'ServiceUnavailable', message: 'down' } }, { status: 503 });
      }),
    );
    const page = await browser.request(callback);
    expect(page.status).toBe(503);
    const text = await page.text();
    expect(text).toContain('Microsoft Graph is unavailable');
    expect(text).toContain('GraphUnavailable');
    expect(calls).toBe(3 * 4);
    const after = await status(tid);
    expect(after.state).toBe('failed');
    expect(after.failure?.code).toBe('GraphUnavailable');
  });

  it('keeps the free text of a forged consent-error callback out of the page, the tenant status and the audit log, keeping only the error code and AADSTS number', async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const state = new URL(consentUrl).searchParams.get('state')!;
    const injected = ['Your tenant is suspended', 'https://evil.example/reverify', '<script>alert(1)</script>', '<img src=x onerror=alert(2)>'];
    const attack = `AADSTS65004: ${injected.join(' ')}"'`;
    const page = await browser.request(`${host.url}/onboarding/callback?error=access_denied&error_description=${encodeURIComponent(attack)}&state=${state}`);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const expected = 'Admin consent to the PIN reset service application was not granted (access_denied, AADSTS65004).';
    const text = await page.text();
    expect(text).toContain(expected);

    const after = await status(tid);
    expect(after.failure).toEqual({ code: 'ConsentDenied', message: expected });
    const events = await auditOf(tid);
    expect(events.find((event) => event.activity === 'onboardingFailed')?.resultReason).toBe(`ConsentDenied: ${expected}`);

    const stored = [text, JSON.stringify(after), JSON.stringify(events)];
    for (const fragment of [...injected, 'suspended', 'evil.example', 'alert(', 'onerror', '&#60;script']) {
      for (const place of stored) expect(place).not.toContain(fragment);
    }
  });

  it("replaces an error code that is not one of Entra's with unknown_error, and names no AADSTS number when there is none", async () => {
    const tid = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const state = new URL(consentUrl).searchParams.get('state')!;
    const forgedCode = 'Call +1-800-555-0100 to re-verify';
    const page = await browser.request(
      `${host.url}/onboarding/callback?error=${encodeURIComponent(forgedCode)}&error_description=${encodeURIComponent('Visit https://evil.example')}&state=${state}`,
    );
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).toContain('Admin consent to the PIN reset service application was not granted (unknown_error).');
    expect(text).not.toContain('555-0100');
    expect(text).not.toContain('evil.example');
    expect((await status(tid)).failure).toEqual({
      code: 'ConsentFailed',
      message: 'Admin consent to the PIN reset service application was not granted (unknown_error).',
    });
  });

  it("never lets the callback's tenant value choose the tenant: a different tenant fails with TenantMismatch", async () => {
    const tid = randomTenantId();
    const other = randomTenantId();
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const callback = new URL(await decide(browser, consentUrl, 'accept'));
    callback.searchParams.set('tenant', other);
    const page = await browser.request(callback.toString());
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('TenantMismatch');
    expect((await status(tid)).failure?.code).toBe('TenantMismatch');
    expect((await status(other)).state).toBe('notStarted');
  });

  it('moves an active tenant to failed on verify after its service app was removed, and back to active once it returns', async () => {
    const tid = randomTenantId();
    const config = getConfig();
    expect((await walkOnboarding({ baseUrl: host.url, tenant: tid })).finalStatus).toBe(200);
    const token = await adminToken(tid);
    const ok = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding/verify`, { method: 'POST', headers: bearer(token) });
    expect(ok.status).toBe(200);
    expect((await jsonOf<OnboardingStatus>(ok)).state).toBe('active');

    simulation.directory.removeServicePrincipal(tid, config.serviceAppId);
    const verify = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding/verify`, { method: 'POST', headers: bearer(token) });
    expect(verify.status).toBe(200);
    const body = await jsonOf<OnboardingStatus>(verify);
    expect(body.state).toBe('failed');
    expect(body.failure?.code).toBe('ServicePrincipalMissing');
    expect(body.failure?.message).toContain(config.serviceAppId);
    expect(body.serviceApplication).toMatchObject({ consented: false, servicePrincipalId: null });
    expect(body.clientApplication.consented).toBe(true);

    simulation.directory.consent(tid, config.serviceAppId, 'PIN Reset Service (development)');
    const again = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding/verify`, { method: 'POST', headers: bearer(token) });
    expect((await jsonOf<OnboardingStatus>(again)).state).toBe('active');
  });

  it('offboards (listeners told, 204) and re-onboards through /onboarding/start', async () => {
    const calls: string[] = [];
    const listener: TenantLifecycleListener = {
      name: 'recorder',
      onTenantActivated: async (tenantId) => void calls.push(`activated:${tenantId}`),
      onTenantOffboarded: async (tenantId) => void calls.push(`offboarded:${tenantId}`),
    };
    setServices(new Services(getConfig(), { tenantLifecycleListeners: [listener] }));
    const tid = randomTenantId();
    expect((await walkOnboarding({ baseUrl: host.url, tenant: tid })).finalStatus).toBe(200);
    const token = await adminToken(tid);
    const deleted = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { method: 'DELETE', headers: bearer(token) });
    expect(deleted.status).toBe(204);
    expect((await status(tid)).state).toBe('offboarded');
    const verify = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding/verify`, { method: 'POST', headers: bearer(token) });
    expect(verify.status).toBe(409);

    expect((await walkOnboarding({ baseUrl: host.url, tenant: tid })).finalStatus).toBe(200);
    expect((await status(tid)).state).toBe('active');
    expect(calls).toEqual([`activated:${tid}`, `offboarded:${tid}`, `activated:${tid}`]);

    const audit = await host.request('/v1.0/auditLogs/pinResetEvents?$top=50', { headers: bearer(token) });
    const events = (await jsonOf<Collection<AuditEvent>>(audit)).value;
    expect(events.map((event) => event.activity)).toEqual(
      expect.arrayContaining(['onboardingStarted', 'serviceConsentGranted', 'clientConsentGranted', 'onboardingCompleted', 'tenantOffboarded']),
    );
    const [latest, first] = events.filter((event) => event.activity === 'onboardingCompleted');
    expect(latest?.resultReason).toMatch(/^Re-activated a tenant that was offboarded at \d{4}-.*Z, by the administrator who signed in/);
    expect(latest?.initiatedBy).toMatchObject({ user: { userPrincipalName: 'onboarding-admin@pinreset.dev' } });
    expect(first?.resultReason ?? null).toBeNull();
  });

  it('refuses forged consent callbacks for an offboarded tenant whose enterprise applications remain, and audits them', async () => {
    const tid = randomTenantId();
    expect((await walkOnboarding({ baseUrl: host.url, tenant: tid })).finalStatus).toBe(200);
    expect((await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { method: 'DELETE', headers: bearer(await adminToken(tid)) })).status).toBe(204);
    expect(simulation.directory.servicePrincipal(tid, getConfig().serviceAppId)).toBeTruthy();

    // A made-up state, and the state of an anonymous start (a sign-in state, no cookie): both refused.
    const madeUp = await forgedConsent(tid, 'A'.repeat(43));
    expect(madeUp.status).toBe(400);
    const startState = new URL(locationOf(await host.request(`/onboarding/start?tenant=${tid}`))).searchParams.get('state')!;
    expect((await forgedConsent(tid, startState)).status).toBe(400);
    // A real consent state of this tenant, presented without the browser that signed in.
    const { browser, consentUrl } = await signInToConsent(host, tid);
    const stolen = new URL(await decide(browser, consentUrl, 'accept')).searchParams.get('state')!;
    const withoutCookie = await forgedConsent(tid, stolen);
    expect(withoutCookie.status).toBe(403);

    expect((await status(tid)).state).toBe('offboarded');
    const refusals = (await auditOf(tid)).filter((event) => event.activity === 'onboardingFailed' && event.result === 'failure');
    expect(refusals.map((event) => event.resultReason)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Refused an onboarding callback: its state is not known to the service'),
        expect.stringContaining('Refused an onboarding callback: its state was issued for another step'),
        expect.stringContaining('Refused an onboarding callback: it was not presented by the browser in which the administrator signed in'),
      ]),
    );
    expect((await auditOf(tid)).some((event) => event.activity === 'onboardingCompleted' && /Re-activated/.test(event.resultReason ?? ''))).toBe(false);
  });

  it('keeps a tenant offboarded for good once its admin deleted both enterprise applications: a signed-in re-onboarding that skips consent fails with ServicePrincipalMissing', async () => {
    const tid = randomTenantId();
    const config = getConfig();
    expect((await walkOnboarding({ baseUrl: host.url, tenant: tid })).finalStatus).toBe(200);
    const token = await adminToken(tid);
    expect((await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { method: 'DELETE', headers: bearer(token) })).status).toBe(204);
    simulation.directory.removeServicePrincipal(tid, config.serviceAppId);
    simulation.directory.removeServicePrincipal(tid, config.clientAppId);

    const { browser, consentUrl } = await signInToConsent(host, tid);
    const serviceState = new URL(consentUrl).searchParams.get('state')!;
    const clientConsent = locationOf(await browser.request(`${host.url}/onboarding/callback?admin_consent=True&tenant=${tid}&state=${serviceState}`));
    const clientState = new URL(clientConsent).searchParams.get('state')!;
    const refused = await browser.request(`${host.url}/onboarding/callback?admin_consent=True&tenant=${tid}&state=${clientState}`);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('ServicePrincipalMissing');
    const after = await status(tid);
    expect(after.state).not.toBe('active');
    expect(after.failure?.code).toBe('ServicePrincipalMissing');
  });

  it("answers 404 to another tenant's admin and 403 to a non-admin of the tenant", async () => {
    const tid = randomTenantId();
    const other = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(randomTenantId())) });
    expect(other.status).toBe(404);
    expect((await jsonOf<GraphErrorEnvelope>(other)).error.code).toBe('Request_ResourceNotFound');
    const user = await host.request(`/v1.0/organization/${tid}/pinResetOnboarding`, { method: 'DELETE', headers: bearer(await userToken({ tid })) });
    expect(user.status).toBe(403);
    expect((await jsonOf<GraphErrorEnvelope>(user)).error.code).toBe('Authorization_RequestDenied');
  });

  it('reports notStarted with both configured apps for a tenant that never began', async () => {
    const tid = randomTenantId();
    expect(await status(tid)).toEqual({
      state: 'notStarted',
      serviceApplication: { appId: getConfig().serviceAppId, displayName: null, consented: false, servicePrincipalId: null, consentedDateTime: null },
      clientApplication: { appId: getConfig().clientAppId, displayName: null, consented: false, servicePrincipalId: null, consentedDateTime: null },
      lastVerifiedDateTime: null,
      failure: null,
    });
  });
});

describe('the development-mode consent page', () => {
  it('refuses to redirect anywhere but this service (no open redirect)', async () => {
    const tid = randomTenantId();
    const query = `client_id=${getConfig().serviceAppId}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&state=x&scope=s`;
    const page = await host.request(`/dev/login/${tid}/v2.0/adminconsent?${query}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('AADSTS50011');
    const post = await host.request(`/dev/login/${tid}/v2.0/adminconsent?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'decision=accept',
    });
    expect(post.status).toBe(400);
    expect(post.headers.get('location')).toBeNull();
    expect(simulation.directory.servicePrincipal(tid, getConfig().serviceAppId)).toBeUndefined();
  });

  it('refuses an application it does not know', async () => {
    const page = await host.request(
      `/dev/login/${randomTenantId()}/v2.0/adminconsent?client_id=${randomTenantId()}&redirect_uri=${encodeURIComponent(`${host.url}/onboarding/callback`)}`,
    );
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('AADSTS700016');
  });
});
