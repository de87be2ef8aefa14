import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startAzurite } from '../../shared/dev/azurite.js';

export interface BenchHost {
  url: string;
  /** The host's process (a cluster host's primary: its workers are its children). */
  pid: number;
  stop(): Promise<void>;
}

export interface BenchService extends BenchHost {
  /** The service's Azurite, for setting up state from the bench process. */
  connectionString: string;
  azuritePid: number;
}

/** A bench child process (`script`, beside this file) that prints `READY <url>` once it listens; SIGTERM stops it. */
export async function startReadyProcess(script: string, env: Record<string, string>): Promise<BenchHost> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready?.[1]) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(ready[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The local host (bench-host.ts) in a process of its own, against the Azurite of `connectionString`. */
export async function startBenchHost(connectionString: string, extraEnv: Record<string, string> = {}): Promise<BenchHost> {
  const port = await freePort();
  return startReadyProcess('./bench-host.js', {
    PINRESET_DEV_MODE: 'true',
    PORT: String(port),
    PINRESET_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TABLES_CONNECTION_STRING: connectionString,
    ...extraEnv,
  });
}

/** In-memory Azurite plus the local host in its own process (so load and service use separate cores). */
export async function startBenchService(extraEnv: Record<string, string> = {}): Promise<BenchService> {
  const azurite = await startAzurite();
  const host = await startBenchHost(azurite.connectionString, extraEnv);
  return {
    url: host.url,
    pid: host.pid,
    connectionString: azurite.connectionString,
    azuritePid: azurite.pid,
    stop: async () => {
      await host.stop();
      await azurite.stop();
    },
  };
}

export async function devToken(url: string, claims: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claims) });
  if (!response.ok) throw new Error(`dev token: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
