import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { freePort } from '../../shared/dev/azurite.js';
import { approveDeviceCode } from '../../shared/dev/login-browser.js';
import { randomTenantId } from '../support/tokens.js';

const START_LOCAL = fileURLToPath(new URL('../../dist/scripts/start-local.js', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function spawnStart(cwd: string, port: number, azuritePort: number): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PINRESET_DEV_MODE: 'true',
    PORT: String(port),
    AZURITE_TABLE_PORT: String(azuritePort),
    PINRESET_ACCESS_LOG: 'false',
  };
  delete env.PINRESET_PUBLIC_BASE_URL;
  delete env.TABLES_CONNECTION_STRING;
  return spawn(process.execPath, [START_LOCAL], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `npm start` without the build step: the compiled start script, in its own working directory. */
async function start(cwd: string, port: number, azuritePort: number): Promise<Started> {
  const child = spawnStart(cwd, port, azuritePort);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 30_000);
    const check = setInterval(() => {
      if (output.includes('Press Ctrl+C to stop')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}: ${output}`));
    });
  });
  return { child, url: `http://localhost:${port}`, output: () => output };
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGINT');
  });
}

/** Runs a start that must fail; resolves with its exit code and output. */
function failedStart(cwd: string, port: number, azuritePort: number): Promise<{ code: number | null; output: string }> {
  const child = spawnStart(cwd, port, azuritePort);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

/** A dummy listener on a port, as another program (VS Code's Azurite, another service) would hold it. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function adminToken(url: string, tid: string): Promise<string> {
  const response = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tid, oid: '00000000-0000-4000-8000-0000000000aa', wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe("npm start (the README's local run)", () => {
  it('serves the API on PORT with Azurite data under .azurite/, prints the URL, stops cleanly on Ctrl+C and keeps its data for the next start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const tid = randomTenantId();

    const first = await start(cwd, port, azuritePort);
    expect(first.output()).toContain(`export PINRESET_URL=http://localhost:${port}\n`);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    const token = await adminToken(first.url, tid);
    const organization = await fetch(`${first.url}/v1.0/organization?$select=id`, { headers: { authorization: `Bearer ${token}` } });
    expect(await organization.text()).toBe(`{"@odata.context":"http://localhost:${port}/v1.0/$metadata#organization(id)","value":[{"id":"${tid}"}]}`);
    const patched = await fetch(`${first.url}/v1.0/organization/${tid}/pinResetSettings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ protectorKeyRotationDays: 42 }),
    });
    expect(patched.status).toBe(200);
    expect(await stop(first)).toBe(0);
    expect(existsSync(join(cwd, '.azurite'))).toBe(true);

    const second = await start(cwd, port, azuritePort);
    try {
      const settings = await fetch(`${second.url}/v1.0/organization/${tid}/pinResetSettings`, {
        headers: { authorization: `Bearer ${await adminToken(second.url, tid)}` },
      });
      expect(((await settings.json()) as { protectorKeyRotationDays: number }).protectorKeyRotationDays).toBe(42);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 90_000);

  it('keeps its signing key in .azurite/ (0600, never printed): a token issued before a restart is still accepted after it, and a fresh .azurite/ forgets it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const tid = randomTenantId();
    const keyFile = join(cwd, '.azurite', 'dev-signing-key.json');
    const readOrganization = (url: string, token: string) => fetch(`${url}/v1.0/organization?$select=id`, { headers: { authorization: `Bearer ${token}` } });

    const first = await start(cwd, port, azuritePort);
    const token = await adminToken(first.url, tid);
    expect((await readOrganization(first.url, token)).status).toBe(200);
    expect(await stop(first)).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const { d: privateExponent } = JSON.parse(readFileSync(keyFile, 'utf8')) as { d: string };
    expect(privateExponent.length).toBeGreaterThan(300);

    const second = await start(cwd, port, azuritePort);
    try {
      const afterRestart = await readOrganization(second.url, token);
      expect(await afterRestart.text()).toContain(`"value":[{"id":"${tid}"}]`);
      expect(afterRestart.status).toBe(200);
    } finally {
      expect(await stop(second)).toBe(0);
    }
    expect(first.output() + second.output()).not.toContain(privateExponent);

    rmSync(join(cwd, '.azurite'), { recursive: true, force: true });
    const afresh = await start(cwd, port, azuritePort);
    try {
      const forgotten = await readOrganization(afresh.url, token);
      expect(forgotten.status).toBe(401);
      expect(await forgotten.text()).toMatch(/the signing key is not trusted/);
    } finally {
      expect(await stop(afresh)).toBe(0);
    }
  }, 120_000);

  /** Device code sign-in at the development authority with offline_access, as `pinreset-agent login` does. */
  async function signInWithRefreshToken(url: string, tid: string): Promise<{ refreshToken: string; tokenEndpoint: string; clientId: string }> {
    const configuration = (await (await fetch(`${url}/signin-configuration`)).json()) as { authority: string; clientId: string; scopes: string[] };
    const endpoint = `${configuration.authority}/${tid}/oauth2/v2.0`;
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    const scope = `openid offline_access ${configuration.scopes.join(' ')}`;
    const device = (await (await fetch(`${endpoint}/devicecode`, form({ client_id: configuration.clientId, scope }))).json()) as {
      device_code: string;
      user_code: string;
      verification_uri: string;
    };
    const user = { userPrincipalName: `restart-${tid.slice(0, 8)}@contoso.test`, tenantId: tid };
    expect((await approveDeviceCode({ verificationUri: device.verification_uri, userCode: device.user_code, user })).approved).toBe(true);
    const grant = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: configuration.clientId, device_code: device.device_code };
    const tokens = (await (await fetch(`${endpoint}/token`, form(grant))).json()) as { refresh_token: string };
    expect(tokens.refresh_token).toBeTruthy();
    return { refreshToken: tokens.refresh_token, tokenEndpoint: `${endpoint}/token`, clientId: configuration.clientId };
  }

  it('keeps the refresh tokens of the development authority across a restart, as Entra does (hashed in .azurite/, 0600, never printed), still rotating', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const tid = randomTenantId();
    const tokenFile = join(cwd, '.azurite', 'dev-refresh-tokens.json');
    const refresh = (endpoint: string, clientId: string, refreshToken: string) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
      });

    const first = await start(cwd, port, azuritePort);
    const { refreshToken, tokenEndpoint, clientId } = await signInWithRefreshToken(first.url, tid);
    expect(await stop(first)).toBe(0);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8')).not.toContain(refreshToken);

    const second = await start(cwd, port, azuritePort);
    let rotated: string;
    try {
      const afterRestart = await refresh(tokenEndpoint, clientId, refreshToken);
      const body = (await afterRestart.json()) as { access_token?: string; refresh_token?: string; error?: string };
      expect(afterRestart.status, JSON.stringify(body)).toBe(200);
      expect(body.refresh_token).toBeTruthy();
      expect(body.refresh_token).not.toBe(refreshToken);
      rotated = body.refresh_token!;
      const organization = await fetch(`${second.url}/v1.0/organization?$select=id`, { headers: { authorization: `Bearer ${body.access_token}` } });
      expect(organization.status).toBe(200);
    } finally {
      expect(await stop(second)).toBe(0);
    }

    const third = await start(cwd, port, azuritePort);
    try {
      // The token used before the restart stays used: its replay revokes the rotated one too.
      const replay = await refresh(tokenEndpoint, clientId, refreshToken);
      expect(replay.status).toBe(400);
      expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
      expect(((await (await refresh(tokenEndpoint, clientId, rotated)).json()) as { error: string }).error).toBe('invalid_grant');
    } finally {
      expect(await stop(third)).toBe(0);
    }
    for (const output of [first.output(), second.output(), third.output()]) {
      expect(output).not.toContain(refreshToken);
      expect(output).not.toContain(rotated);
    }
    expect(readFileSync(tokenFile, 'utf8')).not.toContain(rotated);

    rmSync(join(cwd, '.azurite'), { recursive: true, force: true });
    const afresh = await start(cwd, port, azuritePort);
    try {
      const forgotten = await refresh(tokenEndpoint, clientId, rotated);
      expect(((await forgotten.json()) as { error: string }).error).toBe('invalid_grant');
    } finally {
      expect(await stop(afresh)).toBe(0);
    }
  }, 150_000);

  it('prints a banner with the export line, npx agent commands, the demo, the admin center, sign-in, the data folder and Ctrl+C', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const started = await start(cwd, await freePort(), await freePort());
    try {
      const banner = started.output();
      expect(banner).toContain(`export PINRESET_URL=${started.url}`);
      expect(banner).toMatch(/^ {2}npm run demo /m);
      expect(banner).toMatch(/^ {2}npx pinreset-agent login /m);
      expect(banner).toMatch(/no npm link needed/);
      expect(banner).toContain(`Admin center     : ${started.url}/portal/`);
      expect(banner).toContain(`Data             : ${join(cwd, '.azurite')}/`);
      // Every label's colon in one column.
      const colons = banner
        .split('\n')
        .filter((line) => /^ {2}[A-Z][A-Za-z ()]+:/.test(line))
        .map((line) => line.indexOf(':'));
      expect(colons.length).toBeGreaterThanOrEqual(5);
      expect(new Set(colons).size).toBe(1);
      expect(banner).toMatch(/to start afresh, stop and delete that folder/);
      expect(banner).toMatch(/Press Ctrl\+C to stop/);
    } finally {
      await stop(started);
    }
  }, 60_000);

  /**
   * Whether a process still runs. An orphan that has exited stays a zombie until its new parent reaps
   * it, and some init processes (this sandbox's among them) reap late: a zombie holds no port.
   */
  function isRunning(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  it('starts again after being killed with SIGKILL: the Azurite it left does not keep the port', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const first = await start(cwd, port, azuritePort);
    // The pid file holds Azurite's pid, then the pid of the npm start that runs it.
    const azuritePid = Number(readFileSync(join(cwd, '.azurite', 'azurite.pid'), 'utf8').split(/\s+/)[0]);
    expect(azuritePid).toBeGreaterThan(0);
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    const second = await start(cwd, port, azuritePort);
    try {
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
      expect(isRunning(azuritePid), `the Azurite of the killed npm start (pid ${azuritePid}) still runs`).toBe(false);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 90_000);

  it("names PORT when the service port is taken, and AZURITE_TABLE_PORT when Azurite's is (exit 1, no stack)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const taken = await occupy(port);
    try {
      const result = await failedStart(cwd, port, azuritePort);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`Port ${port} (the service) is already in use`);
      expect(result.output).toMatch(/Set PORT to a free port, e\.g\. {2}PORT=\d+ npm start/);
      expect(result.output).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
    const azuriteTaken = await occupy(azuritePort);
    try {
      const result = await failedStart(cwd, port, azuritePort);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`Port ${azuritePort} (Azurite's Table service) is already in use — often by the Azurite that VS Code or Docker runs`);
      expect(result.output).toMatch(/Set AZURITE_TABLE_PORT to a free port/);
      expect(result.output).not.toMatch(/\n\s+at /);
    } finally {
      azuriteTaken.close();
    }
  }, 60_000);

  it('a second npm start in the same folder (another PORT) is refused, naming the first, and the first keeps its storage', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const first = await start(cwd, await freePort(), await freePort());
    try {
      const result = await failedStart(cwd, await freePort(), await freePort());
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/Another npm start \(pid \d+\) is running in this folder and uses \.azurite\/ \(its Azurite is pid \d+\)/);
      expect(result.output).toContain('use the one that runs (its terminal shows its URL), or stop it with Ctrl+C first');
      expect(result.output).not.toMatch(/\n\s+at /);
      // It took nothing away from the first: its health still reaches storage.
      expect(await (await fetch(`${first.url}/health`)).json()).toMatchObject({ status: 'ok', storage: 'ok' });
    } finally {
      expect(await stop(first)).toBe(0);
    }
  }, 90_000);
});
