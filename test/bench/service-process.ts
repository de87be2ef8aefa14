import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startAzurite } from '../../shared/dev/azurite.js';

export interface BenchService {
  url: string;
  /** The service's Azurite, for setting up state from the bench process. */
  connectionString: string;
  stop(): Promise<void>;
}

/** In-memory Azurite plus the local host in its own process (so load and service use separate cores). */
export async function startBenchService(extraEnv: Record<string, string> = {}): Promise<BenchService> {
  const azurite = await startAzurite();
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./bench-host.js', import.meta.url))], {
    env: {
      ...process.env,
      PINRESET_DEV_MODE: 'true',
      PORT: String(port),
      PINRESET_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      TABLES_CONNECTION_STRING: azurite.connectionString,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.once('exit', (code) => reject(new Error(`bench host exited with ${code}`)));
  });
  return {
    url,
    connectionString: azurite.connectionString,
    stop: async () => {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await azurite.stop();
    },
  };
}

export async function devToken(url: string, claims: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claims) });
  if (!response.ok) throw new Error(`dev token: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
