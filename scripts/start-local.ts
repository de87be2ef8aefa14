/**
 * `npm start`: the whole service on one machine, in development mode.
 * Azurite (data under .azurite/), the simulated Entra ID and Graph, and the local host serving the
 * same route table as `func start`, on PORT (default 7071).
 */
import { readFileSync } from 'node:fs';
import { ROUTES } from '../functions/routes.js';
import { TIMERS } from '../functions/timers.js';
import { getConfig } from '../shared/config.js';
import { startAzurite } from '../shared/dev/azurite.js';
import { persistDirectory } from '../shared/dev/directory-file.js';
import { startMicrosoftSimulation } from '../shared/dev/interception.js';
import { getSimulation } from '../shared/dev/simulation.js';
import { startLocalHost } from '../shared/http/local-host.js';
import { startLocalScheduler } from '../shared/http/local-scheduler.js';

function loadLocalSettings(): void {
  try {
    const settings = JSON.parse(readFileSync('local.settings.json', 'utf8')) as { Values?: Record<string, string> };
    for (const [name, value] of Object.entries(settings.Values ?? {})) {
      // Real environment variables win over local.settings.json, as under func start.
      if (process.env[name] === undefined) process.env[name] = value;
    }
  } catch {
    // No local.settings.json: environment only.
  }
}

async function main(): Promise<void> {
  const explicitBaseUrl = process.env.PINRESET_PUBLIC_BASE_URL;
  loadLocalSettings();
  const port = Number(process.env.PORT ?? 7071);
  if (!explicitBaseUrl) process.env.PINRESET_PUBLIC_BASE_URL = `http://localhost:${port}`;
  if (process.env.PINRESET_DEV_MODE?.toLowerCase() !== 'true') {
    throw new Error('npm start runs the development mode only (PINRESET_DEV_MODE=true in local.settings.json). Deploy with azd for real tenants.');
  }

  const azurite = await startAzurite({ port: Number(process.env.AZURITE_TABLE_PORT ?? 10002), location: '.azurite' });
  process.env.TABLES_CONNECTION_STRING = azurite.connectionString;
  const config = getConfig();
  persistDirectory(getSimulation().directory, '.azurite/dev-directory.json');
  const simulation = startMicrosoftSimulation();
  const functionLog = (level: string, message: string) => (level === 'error' || level === 'warning' ? console.error(`[${level}] ${message}`) : undefined);
  const host = await startLocalHost({
    routes: ROUTES,
    port,
    accessLog: process.env.PINRESET_ACCESS_LOG === 'false' ? undefined : (line) => console.log(line),
    functionLog,
  });
  const scheduler = startLocalScheduler(TIMERS, (level, message) => (level === 'information' ? console.log(`[timer] ${message}`) : functionLog(level, message)));

  const base = config.publicBaseUrl;
  const tenant = '00000000-0000-4000-8000-000000000001';
  console.log(`
PIN reset service (development mode) listening on ${host.url}
  public base URL : ${base}
  storage         : Azurite on 127.0.0.1:${azurite.port} (data in .azurite/)
  timers          : ${TIMERS.map((timer) => `${timer.name} (${timer.schedule})`).join(', ')}
  identity        : simulated Entra ID and Microsoft Graph (POST ${base}/dev/token)
  API description : ${base}/openapi.json

Try it:
  curl ${base}/health
  TOKEN=$(curl -s -X POST ${base}/dev/token -H 'Content-Type: application/json' \\
    -d '{"tid":"${tenant}","oid":"00000000-0000-4000-8000-0000000000aa","wids":["62e90394-69f5-4237-9190-012177145e10"]}' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -H "Authorization: Bearer $TOKEN" '${base}/v1.0/organization?$select=id'
  Onboard the tenant in a browser: ${base}/onboarding/start?tenant=${tenant}
Press Ctrl+C to stop.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    scheduler.stop();
    await host.close();
    simulation.close();
    await azurite.stop();
    process.exit(0);
  };
  // A bug must be logged, not take the local service down for everyone using it.
  process.on('unhandledRejection', (reason) => console.error('[error] unhandled rejection:', reason instanceof Error ? reason.stack : reason));
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
