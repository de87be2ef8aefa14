import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { TableStore } from '../storage/table-store.js';

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningAzurite {
  port: number;
  /** Azurite's process id (a test freezes storage with SIGSTOP on it). */
  pid: number;
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's Table service as a child process. `location` undefined = in-memory (tests).
 * Resolves once Azurite listens and the service's tables exist (created here, once: the service never
 * creates tables at request time).
 */
export async function startAzurite(options: { port?: number; location?: string } = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const azuriteRoot = path.dirname(require.resolve('azurite/package.json'));
  const port = options.port ?? (await freePort());
  const args = [
    path.join(azuriteRoot, 'dist/src/table/main.js'),
    '--tableHost', '127.0.0.1',
    '--tablePort', String(port),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  // Its own process group: a Ctrl+C in the terminal reaches only us, and we stop Azurite exactly once.
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  // Azurite must not outlive the process that started it.
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  await new TableStore({ kind: 'connectionString', connectionString: azuriteConnectionString(port) }).createTables();
  return {
    port,
    pid: child.pid ?? 0,
    connectionString: azuriteConnectionString(port),
    // Azurite saves its on-disk data only on SIGINT (SIGTERM loses up to 5 s of writes); SIGKILL if it hangs.
    stop: () => new Promise((resolve) => {
      process.removeListener('exit', killChild);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(hung);
        resolve();
      });
      child.kill('SIGINT');
    }),
  };
}
