/**
 * `npm start`: the whole service on one machine, in development mode.
 * Azurite (data under .azurite/), the simulated Entra ID and Graph, and the local host serving the
 * same route table as `func start`, on PORT (default 7071).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROUTES } from '../functions/routes.js';
import { TIMERS } from '../functions/timers.js';
import { getConfig } from '../shared/config.js';
import { AzuriteFolderInUseError, AzuritePortInUseError, startAzurite } from '../shared/dev/azurite.js';
import { persistDirectory } from '../shared/dev/directory-file.js';
import { persistRefreshTokens } from '../shared/dev/refresh-token-file.js';
import { persistSigningKey } from '../shared/dev/signing-key-file.js';
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

/** Where `npm start` keeps Azurite's data, the simulated directory and its signing key (relative to the working directory). */
const DATA_DIRECTORY = '.azurite';
const DEFAULT_PORT = 7071;
const DEFAULT_AZURITE_TABLE_PORT = 10002;

/** A start failure whose message says what to do; printed without a stack. */
class StartError extends Error {}

function portInUse(port: number, what: string, setting: string, hint: string): StartError {
  return new StartError(
    [
      `Port ${port} (${what}) is already in use${hint}.`,
      `Set ${setting} to a free port, e.g.  ${setting}=${port + 10} npm start  (or stop whatever listens on ${port}).`,
    ].join('\n'),
  );
}

function servicePortInUse(port: number): StartError {
  return portInUse(port, 'the service', 'PORT', ', perhaps by another npm start or func start');
}

/** Fails fast, before Azurite starts, when the service port is taken. */
function checkPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? servicePortInUse(port) : error));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function integerSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new StartError(`${name} must be a port number from 0 to 65535 (got '${raw}').`);
  return value;
}

async function main(): Promise<void> {
  const explicitBaseUrl = process.env.PINRESET_PUBLIC_BASE_URL;
  loadLocalSettings();
  const port = integerSetting('PORT', DEFAULT_PORT);
  const azuritePort = integerSetting('AZURITE_TABLE_PORT', DEFAULT_AZURITE_TABLE_PORT);
  if (!explicitBaseUrl) process.env.PINRESET_PUBLIC_BASE_URL = `http://localhost:${port}`;
  if (process.env.PINRESET_DEV_MODE?.toLowerCase() !== 'true') {
    throw new StartError('npm start runs the development mode only (PINRESET_DEV_MODE=true in local.settings.json). Deploy with azd for real tenants.');
  }

  await checkPortFree(port, '127.0.0.1');
  const azurite = await startAzurite({ port: azuritePort, location: DATA_DIRECTORY }).catch((error: unknown) => {
    if (error instanceof AzuriteFolderInUseError) {
      throw new StartError(
        [
          `Another npm start (pid ${error.starterPid}) is running in this folder and uses ${DATA_DIRECTORY}/ (its Azurite is pid ${error.azuritePid}).`,
          'Two cannot share the data folder: use the one that runs (its terminal shows its URL), or stop it with Ctrl+C first.',
        ].join('\n'),
      );
    }
    throw error instanceof AzuritePortInUseError
      ? portInUse(azuritePort, "Azurite's Table service", 'AZURITE_TABLE_PORT', ' — often by the Azurite that VS Code or Docker runs')
      : error;
  });
  if (azurite.stoppedLeftover)
    console.log(`Stopped Azurite (pid ${azurite.stoppedLeftover}) left running on ${DATA_DIRECTORY}/ by an npm start that did not exit cleanly.`);
  process.env.TABLES_CONNECTION_STRING = azurite.connectionString;
  const config = getConfig();
  persistDirectory(getSimulation().directory, `${DATA_DIRECTORY}/dev-directory.json`);
  // Tokens signed before a restart (the agent's cached sign-in, the admin center's) stay valid after it.
  const signingKeyFile = `${DATA_DIRECTORY}/dev-signing-key.json`;
  if ((await persistSigningKey(getSimulation().signer, signingKeyFile)) === 'replaced') {
    console.log(`${signingKeyFile} held no usable signing key: made a new one (earlier sign-ins must sign in again).`);
  }
  // And so do their refresh tokens, as with Entra: a restart signs nobody out.
  persistRefreshTokens(getSimulation().authority, `${DATA_DIRECTORY}/dev-refresh-tokens.json`);
  const simulation = startMicrosoftSimulation();
  const functionLog = (level: string, message: string) => (level === 'error' || level === 'warning' ? console.error(`[${level}] ${message}`) : undefined);
  const host = await startLocalHost({
    routes: ROUTES,
    port,
    accessLog: process.env.PINRESET_ACCESS_LOG === 'false' ? undefined : (line) => console.log(line),
    functionLog,
  }).catch(async (error: unknown) => {
    await azurite.stop();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? servicePortInUse(port) : error;
  });
  const scheduler = startLocalScheduler(TIMERS, (level, message) =>
    level === 'information' ? console.log(`[timer] ${message}`) : functionLog(level, message),
  );

  console.log(banner({ base: config.publicBaseUrl, listening: host.url, azuritePort: azurite.port }));

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

/** The development tenant the banner's examples use (any GUID is a tenant in development mode). */
const EXAMPLE_TENANT = '00000000-0000-4000-8000-000000000001';

/** What `npm start` prints once it serves: everything needed to use it from another terminal. */
function banner(input: { base: string; listening: string; azuritePort: number }): string {
  const { base } = input;
  const data = path.resolve(DATA_DIRECTORY);
  return `
PIN reset service (development mode) is running at ${base}
  (listening on ${input.listening}; simulated Entra ID and Microsoft Graph; no Azure account needed)

In another terminal, in this folder:

  export PINRESET_URL=${base}
  npm run demo                              # the whole story: onboarding, enrolment, MFA, key rotation, passcode reset
  npx pinreset-agent login                  # sign in to the simulated Entra ID (no npm link needed: npx runs the agent)
  npx pinreset-agent admin onboard --tenant ${EXAMPLE_TENANT}
  npx pinreset-agent --help                 # every device and admin command

  Admin center     : ${base}/portal/
  Onboard (browser): ${base}/onboarding/start?tenant=${EXAMPLE_TENANT}
  API description  : ${base}/openapi.json      health: ${base}/health
  Data             : ${data}/ (Azurite on 127.0.0.1:${input.azuritePort}); to start afresh, stop and delete that folder
  Timers           : ${TIMERS.map((timer) => `${timer.name} (${timer.schedule})`).join(', ')}

Press Ctrl+C to stop (Azurite saves its data and stops with it).`;
}

main().catch((error: unknown) => {
  console.error(error instanceof StartError ? `npm start: ${error.message}` : `npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
