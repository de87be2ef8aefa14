import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startAzurite } from '../../shared/dev/azurite.js';
import { treePids } from './process-cpu.js';

export interface BenchHost {
  url: string;
  /** The host's process (a cluster host's primary: its workers are its children). */
  pid: number;
  /**
   * The Table transactions the host's processes made so far (a bench host started with
   * BENCH_COUNT_TABLE_TX=1 only: any other process would die of the SIGUSR2 it sends).
   */
  tableTransactions(): Promise<number>;
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
  const counts = new Map<number, number>();
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    let ready = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        const started = /^READY (\S+)/.exec(line);
        const count = /^TABLE_TX (\d+) (\d+)$/.exec(line);
        if (started?.[1] && !ready) {
          ready = true;
          resolve(started[1]);
        } else if (count) counts.set(Number(count[1]), Number(count[2]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const tableTransactions = async () => {
    counts.clear();
    const pids = treePids(child.pid ?? 0);
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
    for (let waited = 0; counts.size < pids.length && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    if (counts.size < pids.length) throw new Error(`table transaction counts: ${counts.size} of ${pids.length} processes answered`);
    return [...counts.values()].reduce((sum, count) => sum + count, 0);
  };
  return {
    url,
    pid: child.pid ?? 0,
    tableTransactions,
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
    tableTransactions: host.tableTransactions,
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
