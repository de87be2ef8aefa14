import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The port Azurite was asked to listen on is taken (by another Azurite, often VS Code's or Docker's). */
export class AzuritePortInUseError extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} (Azurite's Table service) is already in use.`);
    this.name = 'AzuritePortInUseError';
  }
}

/**
 * Holds the pid of the Azurite that uses a data folder and the pid of the process that started it, so a
 * leftover of a crashed run can be stopped, and an Azurite still in use is never taken away.
 */
export const AZURITE_PID_FILE = 'azurite.pid';

/** The data folder's Azurite belongs to a process that is still running (another npm start in the same folder). */
export class AzuriteFolderInUseError extends Error {
  constructor(
    readonly location: string,
    readonly starterPid: number,
    readonly azuritePid: number,
  ) {
    super(`${location} is in use by the Azurite (pid ${azuritePid}) of process ${starterPid}, which is still running.`);
    this.name = 'AzuriteFolderInUseError';
  }
}

/**
 * Loaded into the Azurite process before its main module (`--import`). When the IPC channel to the
 * process that started it closes — that process exited, or was killed with SIGKILL — Azurite gets the
 * SIGINT it saves its data on, instead of living on in its own process group holding the port. On any
 * SIGINT the channel is closed, so that it does not keep Azurite alive once its server has closed.
 */
const EXIT_WITH_PARENT = [
  'let closing=false;',
  'const shutdown=(parentGone)=>{if(closing)return;closing=true;setTimeout(()=>process.exit(0),10000).unref();',
  "if(process.connected)process.disconnect();if(parentGone)process.emit('SIGINT','SIGINT')};",
  "process.once('disconnect',()=>shutdown(true));process.on('SIGINT',()=>shutdown(false));",
].join('');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A previous run that crashed before this process watched its parent (or one killed together with
 * it mid-way) may have left Azurite running on the data folder. Stops it when the pid file names a
 * live process that is Azurite on that folder; returns its pid. Nothing on Windows (no `ps`). An
 * Azurite whose starter is still running and still its parent is no leftover: AzuriteFolderInUseError.
 */
export async function stopLeftoverAzurite(location: string): Promise<number | undefined> {
  const pidFile = path.join(location, AZURITE_PID_FILE);
  let pid: number;
  let starter: number;
  try {
    [pid = Number.NaN, starter = Number.NaN] = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || process.platform === 'win32' || !isAlive(pid)) {
    rmSync(pidFile, { force: true });
    return undefined;
  }
  let parent = Number.NaN;
  let command = '';
  try {
    const [, ppid = '', rest = ''] = /^\s*(\d+)\s+(.*)$/s.exec(execFileSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8' })) ?? [];
    [parent, command] = [Number(ppid), rest];
  } catch {
    return undefined;
  }
  if (!command.includes('azurite') || !command.includes(path.resolve(location))) return undefined;
  if (Number.isInteger(starter) && parent === starter && isAlive(starter)) throw new AzuriteFolderInUseError(location, starter, pid);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return pid;
}

export interface RunningAzurite {
  port: number;
  /** Azurite's process id (a test freezes storage with SIGSTOP on it). */
  pid: number;
  connectionString: string;
  /** The pid of an Azurite left over by a crashed run on the same data folder, which was stopped first. */
  stoppedLeftover: number | undefined;
  /** SIGINT (Azurite saves its data); `forced` when it did not exit within 10 s and was killed. */
  stop(): Promise<{ forced: boolean }>;
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
  const location = options.location === undefined ? undefined : path.resolve(options.location);
  const stoppedLeftover = location ? await stopLeftoverAzurite(location) : undefined;
  const args = [
    `--import=data:text/javascript,${encodeURIComponent(EXIT_WITH_PARENT)}`,
    path.join(azuriteRoot, 'dist/src/table/main.js'),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(port),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    // Its access log goes nowhere (we discard its output): writing it cost about a tenth of its CPU.
    '--silent',
    ...(location ? ['--location', location] : ['--inMemoryPersistence']),
  ];
  // Its own process group: a Ctrl+C in the terminal reaches only us, and we stop Azurite exactly once.
  // The IPC channel is only there to close when we die (see EXIT_WITH_PARENT).
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  child.channel?.unref();
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
      reject(/EADDRINUSE/.test(output) ? new AzuritePortInUseError(port) : new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  if (location && child.pid) {
    mkdirSync(location, { recursive: true });
    writeFileSync(path.join(location, AZURITE_PID_FILE), `${child.pid} ${process.pid}\n`);
  }
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
    stoppedLeftover,
    // Azurite saves its on-disk data only on SIGINT (SIGTERM loses up to 5 s of writes); SIGKILL if it hangs.
    stop: () =>
      new Promise((resolve) => {
        process.removeListener('exit', killChild);
        if (child.exitCode !== null || child.signalCode !== null) return resolve({ forced: false });
        let forced = false;
        const hung = setTimeout(() => {
          forced = true;
          child.kill('SIGKILL');
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(hung);
          if (location) rmSync(path.join(location, AZURITE_PID_FILE), { force: true });
          resolve({ forced });
        });
        child.kill('SIGINT');
      }),
  };
}
