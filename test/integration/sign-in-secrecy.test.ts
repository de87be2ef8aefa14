import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { getConfig, resetConfigForTests } from '../../shared/config.js';
import { approveDeviceCode, completeAuthorization, DevBrowser } from '../../shared/dev/login-browser.js';
import { startLocalHost, type RunningLocalHost } from '../../shared/http/local-host.js';
import { DEV_CLIENT_SECRET } from '../../shared/identity/app-token-provider.js';
import { setServices } from '../../shared/wiring.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { tenantAdmin } from '../support/onboarding-browser.js';
import { randomTenantId } from '../support/tokens.js';

useSimulatedMicrosoft();

/** Everything the local host and the process print while sign-ins run, as npm start would show it. */
const logged: string[] = [];
let host: RunningLocalHost;

beforeAll(async () => {
  host = await startLocalHost({
    routes: ROUTES,
    port: 0,
    accessLog: (line) => logged.push(line),
    functionLog: (level, message) => logged.push(`${level} ${message}`),
  });
  process.env.PINRESET_PUBLIC_BASE_URL = host.url;
  resetConfigForTests();
  setServices(undefined);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await host.close();
});

describe('sign-in secrets never reach a log', () => {
  it('codes, tokens, refresh tokens, device codes, states, verifiers and the client secret stay out of the access and function logs', async () => {
    const secrets: string[] = [DEV_CLIENT_SECRET];
    const tid = randomTenantId();
    const authority = getConfig().authorityUrl;
    const scope = `openid profile offline_access ${getConfig().serviceAppIdUri}/user_impersonation`;
    const config = await client.discovery(new URL(`${authority}/${tid}/v2.0`), getConfig().clientAppId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const user = { userPrincipalName: 'secrecy@contoso.test', tenantId: tid };

    // Device code.
    const device = await client.initiateDeviceAuthorization(config, { scope });
    secrets.push(device.device_code);
    expect((await approveDeviceCode({ verificationUri: device.verification_uri, userCode: device.user_code, user })).approved).toBe(true);
    const deviceTokens = await client.pollDeviceAuthorizationGrant(config, device);
    secrets.push(deviceTokens.access_token, deviceTokens.refresh_token!, deviceTokens.id_token!);

    // Authorization code + PKCE, then a refresh.
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const callback = new URL(
      await completeAuthorization({
        authorizeUrl: client
          .buildAuthorizationUrl(config, {
            redirect_uri: 'http://127.0.0.1:53682/cb',
            scope,
            state,
            code_challenge: await client.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          })
          .toString(),
        user,
      }),
    );
    secrets.push(callback.searchParams.get('code')!, verifier);
    const codeTokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const refreshed = await client.refreshTokenGrant(config, codeTokens.refresh_token!);
    secrets.push(codeTokens.access_token, codeTokens.refresh_token!, refreshed.access_token, refreshed.refresh_token!);

    // Onboarding: the service's own code redemption, the onboarding cookie and the states.
    const browser = new DevBrowser({
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const location = response.headers.get('location');
        if (location)
          for (const name of ['code', 'state']) {
            const value = new URL(location, String(input)).searchParams.get(name);
            if (value) secrets.push(value);
          }
        return response;
      },
    });
    const page = await browser.run(`${host.url}/onboarding/start?tenant=${tid}`, { user: tenantAdmin() });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Onboarding succeeded');
    secrets.push(browser.cookie(host.url, 'pinreset-onboarding')!);

    const log = logged.join('\n');
    // The browser's requests went through the local host (the access log names them, without queries).
    expect(log).toContain('GET /onboarding/signin 302');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(15);
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/code=|state=|refresh_token|client_secret/);
  });
});
