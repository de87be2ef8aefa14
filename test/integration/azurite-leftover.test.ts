import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURITE_PID_FILE, azuriteConnectionString, AzuriteFolderInUseError, freePort, startAzurite, stopLeftoverAzurite } from '../../shared/dev/azurite.js';

const require = createRequire(import.meta.url);
const AZURITE_MAIN = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('an Azurite left running on the data folder by a crashed npm start', () => {
  it('is found through the pid file and stopped; a pid file naming another program is left alone', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'azurite-leftover-'));
    // What an older npm start killed with SIGKILL left behind: Azurite in its own process group.
    const leftover = spawn(
      process.execPath,
      [AZURITE_MAIN, '--tableHost', '127.0.0.1', '--tablePort', String(await freePort()), '--disableTelemetry', '--location', location],
      { detached: true, stdio: 'ignore' },
    );
    const pid = leftover.pid ?? 0;
    writeFileSync(path.join(location, AZURITE_PID_FILE), `${pid}\n`);
    try {
      expect(await stopLeftoverAzurite(location)).toBe(pid);
      expect(alive(pid)).toBe(false);
      expect(existsSync(path.join(location, AZURITE_PID_FILE))).toBe(false);

      // A reused pid: the process is alive but is not Azurite on this folder.
      writeFileSync(path.join(location, AZURITE_PID_FILE), `${process.pid}\n`);
      expect(await stopLeftoverAzurite(location)).toBeUndefined();
      expect(alive(process.pid)).toBe(true);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
});

describe('stopping the Azurite that npm start runs', () => {
  it('ends with the SIGINT it saves its data on, not the SIGKILL fallback (the IPC channel does not keep it alive)', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'azurite-stop-'));
    const azurite = await startAzurite({ location });
    expect(existsSync(path.join(location, AZURITE_PID_FILE))).toBe(true);
    expect(await azurite.stop()).toEqual({ forced: false });
    expect(existsSync(path.join(location, AZURITE_PID_FILE))).toBe(false);
  }, 30_000);
});

describe('a second npm start on the same data folder', () => {
  it("is refused while the first one runs, and leaves the first one's Azurite serving", async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'azurite-in-use-'));
    const first = await startAzurite({ location });
    try {
      const second = startAzurite({ location, port: await freePort() });
      await expect(second).rejects.toBeInstanceOf(AzuriteFolderInUseError);
      await expect(second).rejects.toMatchObject({ starterPid: process.pid, azuritePid: first.pid });
      expect(alive(first.pid)).toBe(true);
      // Still serving: the Table service answers on the first one's port.
      const response = await fetch(`${azuriteConnectionString(first.port).match(/TableEndpoint=([^;]+)/)?.[1]}Tables`, {
        headers: { Accept: 'application/json' },
      });
      expect(response.status).toBeLessThan(500);
    } finally {
      await first.stop();
    }
  }, 30_000);
});
