import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../shared/config.js';
import { setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';

const PRODUCTION_LIKE = {
  PINRESET_DEV_MODE: 'false',
  PINRESET_PUBLIC_BASE_URL: 'https://pinreset.contoso.com',
  AZURE_CLIENT_ID: '44444444-4444-4444-8444-444444444444',
  PINRESET_SERVICE_APP_ID: '11111111-1111-4111-8111-111111111111',
  PINRESET_SERVICE_APP_ID_URI: 'api://pinreset.contoso.com',
  PINRESET_CLIENT_APP_ID: '22222222-2222-4222-8222-222222222222',
  PINRESET_LOCAL_KEK: Buffer.alloc(32, 7).toString('base64'),
};
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [name, value] of Object.entries(PRODUCTION_LIKE)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  resetConfigForTests();
  setServices(undefined);
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
  setServices(undefined);
});

describe('development routes with development mode off', () => {
  it.each([
    ['POST', '/dev/token', { tid: 'not-even-valid' }],
    ['POST', '/dev/token', 'plain text'],
    ['GET', '/dev/token', undefined],
    ['GET', '/dev/keys', undefined],
    ['DELETE', '/dev/keys', undefined],
    ['GET', '/dev/login/contoso.com/v2.0/adminconsent?client_id=x&redirect_uri=http://localhost/&state=s', undefined],
    ['POST', '/dev/login/contoso.com/v2.0/adminconsent', 'decision=accept'],
    ['GET', '/dev/login/organizations/v2.0/.well-known/openid-configuration', undefined],
    ['GET', '/dev/login/common/discovery/v2.0/keys', undefined],
    ['GET', '/dev/login/organizations/oauth2/v2.0/authorize?client_id=x&response_type=code', undefined],
    ['POST', '/dev/login/organizations/oauth2/v2.0/authorize', 'step=signin&interaction=x'],
    ['POST', '/dev/login/organizations/oauth2/v2.0/token', 'grant_type=client_credentials&client_id=x&client_secret=y'],
    ['POST', '/dev/login/organizations/oauth2/v2.0/devicecode', 'client_id=x&scope=openid'],
    ['GET', '/dev/login/devicelogin', undefined],
    ['POST', '/dev/login/devicelogin', 'step=code&otc=ABC'],
  ])('answers %s %s with 404 before looking at method or body, like a route that does not exist', async (method, path, body) => {
    const response = await invoke(method, path, body === undefined ? {} : { body: body as string | object });
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('Request_ResourceNotFound');
    expect(response.text).not.toMatch(/tid|Allowed|form/i);
  });

  it("starts onboarding at the cloud's authority with a Secure onboarding cookie (not loopback)", async () => {
    const tid = '33333333-3333-4333-8333-333333333333';
    const response = await invoke('GET', `/onboarding/start?tenant=${tid}`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`https://login.microsoftonline.com/${tid}/oauth2/v2.0/authorize`);
    expect(location.searchParams.get('redirect_uri')).toBe('https://pinreset.contoso.com/onboarding/signin');
    expect(response.headers.get('set-cookie')).toMatch(/^pinreset-onboarding=[\w-]{43}; Path=\/onboarding; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  });

  it("still tells clients where to sign in: the cloud's authority, never the development one", async () => {
    const response = await invoke('GET', '/signin-configuration');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({
      authority: 'https://login.microsoftonline.com',
      cloud: 'public',
      clientId: PRODUCTION_LIKE.PINRESET_CLIENT_APP_ID,
      tenant: 'organizations',
      scopes: ['api://pinreset.contoso.com/user_impersonation'],
    });
  });
});
