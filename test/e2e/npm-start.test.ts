import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { freePort } from '../../shared/dev/azurite.js';
import { randomTenantId } from '../support/tokens.js';

const START_LOCAL = fileURLToPath(new URL('../../dist/scripts/start-local.js', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `npm start` without the build step: the compiled start script, in its own working directory. */
async function start(cwd: string, port: number, azuritePort: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PINRESET_DEV_MODE: 'true', PORT: String(port), AZURITE_TABLE_PORT: String(azuritePort), PINRESET_ACCESS_LOG: 'false' };
  delete env.PINRESET_PUBLIC_BASE_URL;
  delete env.TABLES_CONNECTION_STRING;
  const child = spawn(process.execPath, [START_LOCAL], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 30_000);
    const check = setInterval(() => {
      if (output.includes('Press Ctrl+C to stop.')) {
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

async function adminToken(url: string, tid: string): Promise<string> {
  const response = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tid, oid: '00000000-0000-4000-8000-0000000000aa', wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('npm start (the README\'s local run)', () => {
  it('serves the API on PORT with Azurite data under .azurite/, prints the URL, stops cleanly on Ctrl+C and keeps its data for the next start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pinreset-start-'));
    const [port, azuritePort] = [await freePort(), await freePort()];
    const tid = randomTenantId();

    const first = await start(cwd, port, azuritePort);
    expect(first.output()).toContain(`public base URL : http://localhost:${port}`);
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
      const settings = await fetch(`${second.url}/v1.0/organization/${tid}/pinResetSettings`, { headers: { authorization: `Bearer ${await adminToken(second.url, tid)}` } });
      expect(((await settings.json()) as { protectorKeyRotationDays: number }).protectorKeyRotationDays).toBe(42);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 90_000);
});
