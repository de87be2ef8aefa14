import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

/** Every request the local host served (method, path, status): the demo's own HTTP calls. */
const accessLog: string[] = [];
const host = useLocalHost({ accessLog: (line) => accessLog.push(line) });
useSimulatedMicrosoft();

function demo(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve('dist/scripts/demo.js'), '--url', url],
      { env: { PATH: process.env.PATH }, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm run demo', () => {
  it('runs the whole story against a running service with step headings and exits 0, signing in through the authority and never through /dev/token', async () => {
    accessLog.length = 0;
    const run = await demo(host.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const title of [
      'The admin signs in (device code flow)',
      'Onboard the tenant through the consent pages',
      'The user signs in (device code flow, no MFA yet)',
      'Look up the tenant id with /v1.0/organization?$select=id',
      'The generated client policy',
      'Enrol a device',
      'dsregcmd-style status: CanReset',
      'Non-destructive reset: MFA step-up through the claims challenge',
      'Rotate the tenant key',
      'Passcode reset: the field failure (InvalidPinTooFewCharacters) and its fix',
      'The audit trail',
      'Sign out',
    ])
      expect(run.stdout).toContain(title);
    expect(run.stdout).toMatch(/CanReset : DestructiveAndNonDestructive/);
    expect(run.stdout).toMatch(/reprotectRecommended: true/);
    expect(run.stdout).toMatch(/All 13 steps behaved as expected\./);
    // Sign-ins went through the authority: discovery, the device code, the verification page, the token
    // endpoint (device code grant, and again for the MFA step-up); not one request to /dev/token.
    const paths = accessLog.map((line) => line.split(' ').slice(0, 2).join(' '));
    expect(paths).toContain('GET /signin-configuration');
    expect(paths.filter((path) => /^POST \/dev\/login\/[^/]+\/oauth2\/v2\.0\/devicecode$/.test(path))).toHaveLength(3);
    expect(paths.some((path) => /^POST \/dev\/login\/[^/]+\/oauth2\/v2\.0\/token$/.test(path))).toBe(true);
    expect(paths.some((path) => path.startsWith('POST /dev/login/devicelogin'))).toBe(true);
    expect(paths.filter((path) => path.includes('/dev/token'))).toEqual([]);
  }, 120_000);

  it('exits non-zero, naming the step, when the service misbehaves', async () => {
    // Healthy, but not a development-mode PIN reset service: everything else is a Graph 404.
    const impostor = createServer((request, response) => {
      if (request.url === '/health') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","storage":"ok","version":"0"}');
        return;
      }
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"Request_ResourceNotFound","message":"The requested resource was not found."}}');
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', () => resolve()));
    try {
      const run = await demo(`http://127.0.0.1:${(impostor.address() as AddressInfo).port}`);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Step 1\. The service/);
      expect(run.stderr).toMatch(/✗ Demo failed: /);
      expect(run.stdout).not.toMatch(/All \d+ steps behaved/);
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  }, 60_000);
});
