import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

const host = useLocalHost();
useSimulatedMicrosoft();

function demo(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.resolve('dist/scripts/demo.js'), '--url', url], { env: { PATH: process.env.PATH }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('runs the whole story against a running service with step headings and exits 0', async () => {
    const run = await demo(host.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const title of [
      'Onboard a development tenant through the consent pages',
      'Look up the tenant id with /v1.0/organization?$select=id',
      'The generated client policy',
      'Enrol a device',
      'dsregcmd-style status: CanReset',
      'Reset without MFA is refused',
      'Non-destructive reset with MFA',
      'Rotate the tenant key',
      'Passcode reset: the field failure (InvalidPinTooFewCharacters) and its fix',
      'The audit trail',
    ]) expect(run.stdout).toContain(title);
    expect(run.stdout).toMatch(/CanReset : DestructiveAndNonDestructive/);
    expect(run.stdout).toMatch(/reprotectRecommended: true/);
    expect(run.stdout).toMatch(/All 11 steps behaved as expected\./);
  }, 120_000);

  it('exits non-zero, naming the step, when the service misbehaves', async () => {
    // Healthy, but not a development-mode PIN reset service: everything else is a Graph 404.
    const impostor = createServer((request, response) => {
      if (request.url === '/health') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","storage":"ok","version":"0"}');
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"Request_ResourceNotFound","message":"The requested resource was not found."}}');
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', () => resolve()));
    try {
      const run = await demo(`http://127.0.0.1:${(impostor.address() as AddressInfo).port}`);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Step 2\. Onboard a development tenant/);
      expect(run.stderr).toMatch(/✗ Demo failed: /);
      expect(run.stdout).not.toMatch(/All \d+ steps behaved/);
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  }, 60_000);
});
