import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CachedSignIn } from '../../cli/agent/sign-in-session.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { approveDeviceCode, completeAuthorization, type DevLoginUser } from '../../shared/dev/login-browser.js';
import { activateTenant } from '../support/active-tenant.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

/**
 * pinreset-agent's sign-in, run as a process against the local host and its development authority:
 * `login` by device code (approved on the verification page by the test, as a person in a browser
 * would), `--browser` (authorization code + PKCE, loopback redirect), the token cache (0600, never
 * printed), silent refresh with rotation, the MFA step-up on `401 MfaRequired`, and `logout`.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

const CLI = path.resolve('dist/cli/pinreset-agent.js');
const DEVICE_CODE_PROMPT = /open the page (\S+) and enter the code (\S+) to authenticate/;
const AUTHORIZE_URL = /^\s+(http\S+\/oauth2\/v2\.0\/authorize\?\S+)\n/m;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Everything any agent process printed in this file, to look for tokens at the end. */
const allOutput: string[] = [];

/**
 * Runs the agent; whenever it shows a device code (or, with --browser, an authorization URL), `person`
 * acts on it the way a user in a browser would. Answers once the process exited and every action settled.
 */
function agent(args: string[], env: Record<string, string>, person?: (stderr: string) => Promise<void> | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, PINRESET_URL: host.url, BROWSER: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const actions: Promise<void>[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const action = person?.(stderr);
      if (action) actions.push(action);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      allOutput.push(stdout, stderr);
      Promise.all(actions).then(() => resolve({ code: code ?? -1, stdout, stderr }), reject);
    });
  });
}

/** Approves each device code the agent shows (once per code) as `user`. */
function approvesAs(user: DevLoginUser, choices: { mfa?: boolean; cancel?: boolean } = {}, seen = new Set<string>()) {
  return (stderr: string) => {
    const codes = [...stderr.matchAll(new RegExp(DEVICE_CODE_PROMPT, 'g'))];
    const latest = codes.at(-1);
    if (!latest?.[1] || !latest[2] || seen.has(latest[2])) return undefined;
    seen.add(latest[2]);
    return approveDeviceCode({ verificationUri: latest[1], userCode: latest[2], user, ...choices }).then(() => undefined);
  };
}

async function newDirectory(): Promise<{ env: Record<string, string>; statePath: string; cachePath: string }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'agent-sign-in-'));
  const statePath = path.join(directory, 'agent', 'state.json');
  return { env: { HOME: directory, PINRESET_AGENT_STATE: statePath }, statePath, cachePath: path.join(directory, 'agent', 'tokens.json') };
}

async function cacheOf(cachePath: string): Promise<CachedSignIn> {
  return JSON.parse(await readFile(cachePath, 'utf8')) as CachedSignIn;
}

let tenantId: string;
let domain: string;
const person = (name: string, extra: Partial<DevLoginUser> = {}): DevLoginUser => ({
  tenantId,
  userPrincipalName: `${name}-${randomUUID().slice(0, 6)}@${domain}`,
  displayName: name,
  ...extra,
});
/** Every token any cache held in this file. */
const cachedTokens: string[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does).`);
  tenantId = await activateTenant();
  domain = `t${tenantId.slice(0, 8)}.onmicrosoft.com`;
});

describe('pinreset-agent login (device code), as a process', () => {
  it('signs in, says who, caches the tokens 0600 in a 0700 directory, enrols, and steps up to MFA on reset (claims challenge -> sign-in again -> retry once)', async () => {
    const { env, cachePath } = await newDirectory();
    const riley = person('riley');
    const seen = new Set<string>();
    // No tenant given: the served `organizations` (the user picks theirs on the page).
    const login = await agent(['login'], env, approvesAs(riley, {}, seen));
    expect(login.stderr).toMatch(DEVICE_CODE_PROMPT);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${riley.userPrincipalName} in tenant ${tenantId}.`);

    expect((await stat(cachePath)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(cachePath))).mode & 0o777).toBe(0o700);
    const cache = await cacheOf(cachePath);
    cachedTokens.push(cache.accessToken, cache.refreshToken ?? '');
    expect(cache.settings).toMatchObject({
      authority: `${host.url}/dev/login`,
      tenant: 'organizations',
      scopes: [expect.stringMatching(/\/user_impersonation$/)],
    });
    expect(cache.refreshToken).toEqual(expect.any(String));
    expect(decodeJwt(cache.accessToken)).toMatchObject({ tid: tenantId, scp: 'user_impersonation' });
    expect(decodeJwt(cache.accessToken).amr).not.toContain('mfa');

    const whoami = await agent(['whoami', '--json'], env);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      signedIn: true,
      source: 'signIn',
      method: 'deviceCode',
      account: { userPrincipalName: riley.userPrincipalName, tenantId },
      tokenCache: cachePath,
    });

    const enroll = await agent(['enroll', '--device-name', 'SIGNED-IN-PC'], env);
    expect(enroll.code).toBe(0);
    expect(enroll.stdout).toContain(`in tenant ${tenantId}`);

    // Riley's sign-in had no MFA: the service answers 401 MfaRequired, the agent signs in again with
    // the claims challenge, the page insists on the MFA step (approved), and the retry succeeds.
    const reset = await agent(['reset'], env, approvesAs(riley, {}, seen));
    expect(reset.stderr).toMatch(/requires a recent multi-factor sign-in.*claims challenge/);
    expect([...reset.stderr.matchAll(new RegExp(DEVICE_CODE_PROMPT, 'g'))]).toHaveLength(1);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/Verified\s+: SHA-256 matches/);
    const stepped = await cacheOf(cachePath);
    cachedTokens.push(stepped.accessToken, stepped.refreshToken ?? '');
    expect(decodeJwt(stepped.accessToken).amr).toContain('mfa');
    expect(stepped.accessToken).not.toBe(cache.accessToken);

    // The recent MFA sign-in now counts: no new prompt.
    const again = await agent(['reset', '--json'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(DEVICE_CODE_PROMPT);
  }, 90_000);

  it('refreshes silently when the access token expired, and stores the rotated refresh token', async () => {
    const { env, cachePath } = await newDirectory();
    expect((await agent(['login', '--tenant', tenantId], env, approvesAs(person('sam')))).code).toBe(0);
    const before = await cacheOf(cachePath);
    expect(before.idToken).toEqual(expect.any(String));
    cachedTokens.push(before.accessToken, before.refreshToken ?? '', before.idToken ?? '');
    await writeFile(cachePath, JSON.stringify({ ...before, expiresDateTime: new Date(Date.now() - 60_000).toISOString() }), { mode: 0o600 });

    const whoami = await agent(['whoami', '--json'], env);
    expect(whoami.code).toBe(0);
    expect(whoami.stderr).toBe('');
    const after = await cacheOf(cachePath);
    cachedTokens.push(after.accessToken, after.refreshToken ?? '');
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toEqual(expect.any(String));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(Date.parse(after.expiresDateTime)).toBeGreaterThan(Date.now());
    expect(after.signedInDateTime).toBe(before.signedInDateTime);
    expect((await stat(cachePath)).mode & 0o777).toBe(0o600);

    // The old refresh token was rotated away: the authority refuses it.
    const reused = await fetch(`${host.url}/dev/login/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: before.settings.clientId,
        refresh_token: before.refreshToken ?? '',
        scope: before.settings.scopes.join(' '),
      }),
    });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });

    // A refresh token the authority refuses: the agent says to sign in again (exit 7).
    await writeFile(cachePath, JSON.stringify({ ...after, refreshToken: before.refreshToken, expiresDateTime: new Date(0).toISOString() }), { mode: 0o600 });
    const expired = await agent(['whoami'], env);
    expect(expired.code).toBe(7);
    expect(expired.stderr).toMatch(/Your sign-in has expired or was revoked \(invalid_grant\)\. Sign in again: pinreset-agent login/);
  }, 60_000);

  it("admin commands use the same sign-in: a Global Administrator may, a user gets the service's 403", async () => {
    const admin = await newDirectory();
    expect(
      (await agent(['login'], admin.env, approvesAs(person('avery', { directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator] }), { mfa: true }))).code,
    ).toBe(0);
    const whoami = JSON.parse((await agent(['whoami', '--json'], admin.env)).stdout);
    expect(whoami.account.directoryRoles).toEqual(['Global Administrator']);
    const policy = await agent(['admin', 'policy', '--json'], admin.env);
    expect(policy.code).toBe(0);
    expect(JSON.parse(policy.stdout).omaSettings).toContainEqual(
      expect.objectContaining({ omaUri: `./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies/EnablePinRecovery` }),
    );

    const user = await newDirectory();
    expect((await agent(['login'], user.env, approvesAs(person('casey')))).code).toBe(0);
    const refused = await agent(['admin', 'policy'], user.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/answered 403/);
  }, 60_000);

  it('a declined sign-in fails with the OAuth error and exit 7; logout removes the cache and whoami asks to sign in', async () => {
    const { env, cachePath } = await newDirectory();
    const declined = await agent(['login'], env, approvesAs(person('dana'), { cancel: true }));
    expect(declined.code).toBe(7);
    expect(declined.stderr).toMatch(/Device code sign-in failed: access_denied[\s\S]*Try again: pinreset-agent login/);
    expect(existsSync(cachePath)).toBe(false);

    expect((await agent(['login'], env, approvesAs(person('dana')))).code).toBe(0);
    expect(existsSync(cachePath)).toBe(true);
    cachedTokens.push((await cacheOf(cachePath)).accessToken, (await cacheOf(cachePath)).refreshToken ?? '');
    const logout = await agent(['logout', '--json'], env);
    expect(logout.code).toBe(0);
    expect(JSON.parse(logout.stdout)).toEqual({ signedIn: false, removed: true, tokenCache: cachePath });
    expect(existsSync(cachePath)).toBe(false);
    const whoami = await agent(['whoami'], env);
    expect(whoami.code).toBe(7);
    expect(whoami.stderr).toMatch(/You are not signed in\. Run: pinreset-agent login/);
  }, 60_000);
});

describe('pinreset-agent login --browser (authorization code + PKCE, loopback redirect)', () => {
  it('prints the authorize URL when there is no browser, and finishes when the browser comes back to 127.0.0.1', async () => {
    const { env, cachePath } = await newDirectory();
    const taylor = person('taylor');
    let redirect: string | undefined;
    const run = await agent(['login', '--browser', '--tenant', tenantId], env, (stderr) => {
      const url = AUTHORIZE_URL.exec(stderr)?.[1];
      if (!url || redirect !== undefined) return undefined;
      redirect = '';
      return (async () => {
        const authorizeUrl = new URL(url);
        expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
        expect(authorizeUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        expect(authorizeUrl.searchParams.get('nonce')).toEqual(expect.any(String));
        redirect = await completeAuthorization({ authorizeUrl: url, user: taylor });
        // The system browser follows the redirect to the agent's loopback listener.
        const landing = await fetch(redirect);
        expect(landing.status).toBe(200);
        expect(await landing.text()).toMatch(/Signed in/);
      })();
    });
    expect(run.stderr).toMatch(/Open this URL in a browser to sign in:/);
    expect(run.code).toBe(0);
    expect(redirect).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=/);
    expect(run.stdout).toContain(`Signed in as ${taylor.userPrincipalName}`);
    const cache = await cacheOf(cachePath);
    cachedTokens.push(cache.accessToken, cache.refreshToken ?? '', cache.idToken ?? '');
    expect(cache.method).toBe('browser');
    expect(decodeJwt(cache.idToken ?? '')).toMatchObject({ tid: tenantId, preferred_username: taylor.userPrincipalName, nonce: expect.any(String) });
    expect((await stat(cachePath)).mode & 0o777).toBe(0o600);
  }, 60_000);
});

describe('tokens stay secret', () => {
  it('no access, refresh or id token ever appeared in any output of this file (--json included)', () => {
    const tokens = cachedTokens.filter((token) => token.length > 20);
    expect(tokens.length).toBeGreaterThanOrEqual(10);
    const output = allOutput.join('\n');
    for (const token of tokens) {
      expect(output).not.toContain(token);
      // Nor any of its parts (a JWT's signature alone is a secret's worth).
      for (const part of token.split('.')) if (part.length > 20) expect(output).not.toContain(part);
    }
  });
});
