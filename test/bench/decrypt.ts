/**
 * Decrypt benchmark (issue 4): raw RSA-3072 OAEP-SHA256 privateDecrypt in this process; the decrypt
 * handler invoked directly (token check, key cache, rate limits off and on, audit on); and the decrypt
 * route over the local host (its own process) at 16 concurrent clients.
 * Run: `npm run bench` (via run.ts) or `node dist/test/bench/decrypt.js` after `npm run build`.
 */
import { spawn } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import functions from '@azure/functions';
import { CompactEncrypt, importJWK } from 'jose';
import { ROUTES } from '../../functions/routes.js';
import { loadConfig, resetConfigForTests } from '../../shared/config.js';
import { freePort, startAzurite, type RunningAzurite } from '../../shared/dev/azurite.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { newTenantRecord } from '../../shared/domain/tenant.js';
import { createRouteHandler } from '../../shared/http/pipeline.js';
import { RouteMatcher } from '../../shared/http/route-table.js';
import { Services, setServices } from '../../shared/wiring.js';
import { printTable, round, runLoad } from './load.js';

const { HttpRequest, InvocationContext } = functions;
const DECRYPT_PATH = '/v1.0/me/pinResetProtector/decrypt';
const LIMITS_OFF = { PINRESET_DECRYPT_LIMIT_PER_USER: '0', PINRESET_DECRYPT_LIMIT_PER_TENANT: '0' };
const LIMITS_ON = { PINRESET_DECRYPT_LIMIT_PER_USER: '1000000000', PINRESET_DECRYPT_LIMIT_PER_TENANT: '1000000000' };

function rawDecryptsPerSecond(durationMs: number): number {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const options = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  const wrapped = Array.from({ length: 64 }, () => publicEncrypt({ key: publicKey, ...options }, randomBytes(32)));
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    privateDecrypt({ key: privateKey, ...options }, wrapped[count % wrapped.length]!);
    count += 1;
  }
  return (count / (performance.now() - started)) * 1000;
}

async function activeTenantWithProtector(services: Services): Promise<{ tid: string; oid: string; jwe: string }> {
  const tid = randomUUID();
  const oid = randomUUID();
  await services.tenants.create({ ...newTenantRecord(tid, { serviceAppId: services.config.serviceAppId, clientAppId: services.config.clientAppId }, new Date()), onboardingState: 'active' });
  for (const listener of services.tenantLifecycleListeners) await listener.onTenantActivated?.(tid, 'bench');
  const { jwks } = await services.protectorKeys.jwks(tid, { initiatedBy: { app: { id: 'bench', displayName: 'bench' } }, correlationId: 'bench' });
  const jwk = jwks.keys[0]!;
  const jwe = await new CompactEncrypt(randomBytes(32))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid })
    .encrypt(await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RSA-OAEP-256'));
  return { tid, oid, jwe };
}

/** Direct invocation of the route handler (as the Functions host calls it), `concurrency` in flight. */
async function handlerDecryptsPerSecond(env: Record<string, string>, durationMs: number, concurrency: number): Promise<{ perSecond: number; errors: number }> {
  const services = new Services(loadConfig({ ...process.env, ...env }));
  setServices(services);
  const { tid, oid, jwe } = await activeTenantWithProtector(services);
  const { access_token: token } = await getSimulation().issueUserToken({ tid, oid, amr: ['pwd', 'mfa'] });
  const match = new RouteMatcher(ROUTES).match(DECRYPT_PATH);
  if (!match) throw new Error('no decrypt route');
  const handler = createRouteHandler(match.definition);
  const body = JSON.stringify({ protectedSecret: jwe });
  const once = async () => {
    const request = new HttpRequest({ method: 'POST', url: `${services.config.publicBaseUrl}${DECRYPT_PATH}`, params: match.params,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: { string: body } });
    return (await handler(request, new InvocationContext({ functionName: match.definition.name }))).status;
  };
  for (let warm = 0; warm < 50; warm += 1) await once();
  let count = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() - started < durationMs) {
      if ((await once()) === 200) count += 1;
      else errors += 1;
    }
  }));
  return { perSecond: (count / (performance.now() - started)) * 1000, errors };
}

async function startDecryptHost(azurite: RunningAzurite, env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./bench-host.js', import.meta.url))], {
    env: { ...process.env, PINRESET_DEV_MODE: 'true', PORT: String(port), PINRESET_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, TABLES_CONNECTION_STRING: azurite.connectionString, ...env },
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
  return { url, stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }) };
}

async function httpDecrypts(azurite: RunningAzurite, env: Record<string, string>, services: Services) {
  const host = await startDecryptHost(azurite, env);
  try {
    const { tid, oid, jwe } = await activeTenantWithProtector(services);
    const tokenResponse = await fetch(`${host.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tid, oid, amr: ['pwd', 'mfa'] }) });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    return await runLoad({ url: `${host.url}${DECRYPT_PATH}`, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ protectedSecret: jwe }), concurrency: 16, durationMs: 6_000, warmupMs: 1_500 });
  } finally {
    await host.stop();
  }
}

export async function runDecryptBench(): Promise<void> {
  const raw = rawDecryptsPerSecond(3_000);
  const azurite = await startAzurite();
  const previousEnv = { ...process.env };
  process.env.PINRESET_DEV_MODE = 'true';
  process.env.TABLES_CONNECTION_STRING = azurite.connectionString;
  process.env.PINRESET_PUBLIC_BASE_URL = 'http://127.0.0.1:7071';
  resetConfigForTests();
  const simulation = startMicrosoftSimulation();
  try {
    const off = await handlerDecryptsPerSecond(LIMITS_OFF, 4_000, 8);
    const on = await handlerDecryptsPerSecond(LIMITS_ON, 4_000, 8);
    printTable('Decrypt: raw RSA vs the handler (direct invoke, 8 in flight, this process; Azurite in this process too)', [
      { path: 'raw crypto.privateDecrypt RSA-3072 OAEP-SHA256', 'decrypts/s': round(raw, 0), 'ratio to raw': 1, errors: 0 },
      { path: 'handler: token + MFA + key state read + key cache + audit, rate limits off', 'decrypts/s': round(off.perSecond, 0), 'ratio to raw': round(off.perSecond / raw, 2), errors: off.errors },
      { path: 'handler: same, rate limits on (per user + per tenant, Table-backed)', 'decrypts/s': round(on.perSecond, 0), 'ratio to raw': round(on.perSecond / raw, 2), errors: on.errors },
    ]);
    const services = new Services(loadConfig({ ...process.env }));
    const httpOff = await httpDecrypts(azurite, LIMITS_OFF, services);
    const httpOn = await httpDecrypts(azurite, LIMITS_ON, services);
    printTable('Decrypt over the local host (one service process), 16 concurrent keep-alive clients', [
      { config: 'rate limits off, audit on', 'decrypts/s': round(httpOff.perSecond, 0), 'p50 ms': round(httpOff.p50Ms, 2), 'p99 ms': round(httpOff.p99Ms, 2), errors: httpOff.errors },
      { config: 'rate limits on, audit on', 'decrypts/s': round(httpOn.perSecond, 0), 'p50 ms': round(httpOn.p50Ms, 2), 'p99 ms': round(httpOn.p99Ms, 2), errors: httpOn.errors },
    ]);
  } finally {
    simulation.close();
    setServices(undefined);
    await azurite.stop();
    process.env = previousEnv;
    resetConfigForTests();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runDecryptBench();
}
