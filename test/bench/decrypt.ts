/**
 * Decrypt benchmark (issue 4): raw RSA-3072 OAEP-SHA256 privateDecrypt in this process; the decrypt
 * handler invoked directly (token check, key state, key cache, rate limits off and on, audit on); the
 * decrypt route over the local host (its own process, Azurite a third) at 16 concurrent clients; and
 * the timing of the two kinds of decrypt failure side by side (RFC 7516 §11.5). Every decrypt is made
 * by its own user of one active tenant (until the pool of users wraps around).
 * Run: `npm run bench` (via run.ts) or `node dist/test/bench/decrypt.js` after `npm run build`.
 */
import { constants, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import functions from '@azure/functions';
import { CompactEncrypt, importJWK } from 'jose';
import { ROUTES } from '../../functions/routes.js';
import { loadConfig, resetConfigForTests } from '../../shared/config.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { newTenantRecord } from '../../shared/domain/tenant.js';
import { createRouteHandler } from '../../shared/http/pipeline.js';
import { RouteMatcher } from '../../shared/http/route-table.js';
import { decryptProtectedSecret, parseProtectedSecret } from '../../shared/keys/jwe-decryptor.js';
import type { PublicRsaJwk } from '../../shared/keys/tenant-key-generator.js';
import { Services, setServices } from '../../shared/wiring.js';
import { type LoadOptions, percentile, printTable, round, runLoad } from './load.js';
import { meterCpu } from './process-cpu.js';
import { freePort } from '../../shared/dev/azurite.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { interleavedWithRaw, RawRsa } from './raw-rsa.js';
import { stackFloor, type FloorFigures } from './stack-floor.js';
import { devToken, startBenchHost, startBenchService, startReadyProcess, type BenchService } from './service-process.js';

const { HttpRequest, InvocationContext } = functions;
const DECRYPT_PATH = '/v1.0/me/pinResetProtector/decrypt';
const CONCURRENCY = 16;
const LIMITS_OFF = { PINRESET_DECRYPT_LIMIT_PER_USER: '0', PINRESET_DECRYPT_LIMIT_PER_TENANT: '0' };
/** The default per-user limit (10/hour: every user here decrypts once per run) and a per-tenant limit the run cannot reach. */
export const LIMITS_ON = { PINRESET_DECRYPT_LIMIT_PER_USER: '10', PINRESET_DECRYPT_LIMIT_PER_TENANT: '100000000' };
const ACTOR = { initiatedBy: { app: { id: 'bench', displayName: 'bench' } }, correlationId: 'bench' };

interface BenchUser {
  oid: string;
  token: string;
  body: string;
}

interface Tenant {
  tid: string;
  jwk: PublicRsaJwk;
}

export async function activeTenant(services: Services): Promise<Tenant> {
  const tid = randomUUID();
  await services.tenants.create({
    ...newTenantRecord(tid, { serviceAppId: services.config.serviceAppId, clientAppId: services.config.clientAppId }, new Date()),
    onboardingState: 'active',
  });
  for (const listener of services.tenantLifecycleListeners) await listener.onTenantActivated?.(tid, 'bench');
  const { jwks } = await services.protectorKeys.jwks(tid, ACTOR);
  return { tid, jwk: jwks.keys[0]! };
}

async function protect(tenant: Tenant, oid: string, secret: Uint8Array = randomBytes(32)): Promise<string> {
  const { jwk, tid } = tenant;
  return new CompactEncrypt(secret)
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid })
    .encrypt(await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RSA-OAEP-256'));
}

/** `count` users of the tenant, each with an MFA token from `issue` and a protector of their own. */
export async function usersOf(
  tenant: Tenant,
  count: number,
  issue: (claims: { tid: string; oid: string; amr: string[] }) => Promise<string>,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (users.length < count) {
        const oid = randomUUID();
        users.push({
          oid,
          token: await issue({ tid: tenant.tid, oid, amr: ['pwd', 'mfa'] }),
          body: JSON.stringify({ protectedSecret: await protect(tenant, oid) }),
        });
      }
    }),
  );
  return users;
}

/** Round-robin over the users: each request is the next user's (wraps around only when the pool is used up). */
function cycle<T>(items: readonly T[]): { next(): T; used(): number } {
  let index = 0;
  return { next: () => items[index++ % items.length]!, used: () => index };
}

function directHandler(services: Services): (user: { token: string; body: string }) => Promise<number> {
  const match = new RouteMatcher(ROUTES).match(DECRYPT_PATH);
  if (!match) throw new Error('no decrypt route');
  const handler = createRouteHandler(match.definition);
  return async (user) => {
    const request = new HttpRequest({
      method: 'POST',
      url: `${services.config.publicBaseUrl}${DECRYPT_PATH}`,
      params: match.params,
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: { string: user.body },
    });
    return (await handler(request, new InvocationContext({ functionName: match.definition.name }))).status ?? 200;
  };
}

interface Throughput {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
}

interface HandlerFigures extends Throughput {
  /** CPU time of this process (the service, invoked directly) per successful decrypt. */
  cpuMsPerDecrypt: number;
  /** Raw RSA CPU per decrypt, measured in slices interleaved with the handler's (the ratio's baseline). */
  rawCpuMsPerDecrypt: number;
  /** Table transactions (HTTP requests to Table storage, counted at the pipeline) per successful decrypt. */
  tablePerDecrypt: number;
}

/** Handler slices of this length alternate with raw RSA slices (interleavedWithRaw). */
const HANDLER_SLICE_MS = 1_000;

/**
 * Direct invocation of the route handler (as the Functions host calls it), `CONCURRENCY` in flight,
 * in slices that alternate with raw RSA slices (`raw`): the CPU ratio compares the two under the same
 * conditions. A slice's CPU counts until its last request answered.
 */
export async function handlerThroughput(
  services: Services,
  counter: TableTransactionCounter,
  users: readonly BenchUser[],
  durationMs: number,
  raw: RawRsa,
): Promise<HandlerFigures> {
  setServices(services);
  const invoke = directHandler(services);
  const pool = cycle(users);
  for (let warm = 0; warm < 50; warm += 1) await invoke(pool.next());
  const latencies: number[] = [];
  let errors = 0;
  const tables = counter.snapshot().total;
  const run = await interleavedWithRaw(raw, durationMs, async (started) => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() - started < HANDLER_SLICE_MS) {
          const sent = performance.now();
          if ((await invoke(pool.next())) === 200) latencies.push(performance.now() - sent);
          else errors += 1;
        }
      }),
    );
  });
  const tablePerDecrypt = (counter.snapshot().total - tables) / latencies.length;
  const decrypts = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: (decrypts / run.elapsedMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    requests: pool.used(),
    cpuMsPerDecrypt: run.cpuMs / decrypts,
    rawCpuMsPerDecrypt: run.rawCpuMsPerDecrypt,
    tablePerDecrypt,
  };
}

/**
 * Cold start as a user meets it: a fresh service process (bench-host, its Azurite already running and
 * the tenant's key made) is spawned, and one decrypt is sent the moment it listens; the time runs from
 * the spawn to the 200 answer. The process trusts this process's development token signing key.
 */
export async function firstDecrypt(): Promise<{ readyMs: number; firstDecryptMs: number }> {
  const storage = await startBenchService();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const previousEnv = { ...process.env };
  // The development-mode settings the simulation signs tokens with (the fresh process has the same
  // public base URL, so the same development authority and issuer).
  Object.assign(process.env, { PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: storage.connectionString, PINRESET_PUBLIC_BASE_URL: baseUrl });
  resetConfigForTests();
  try {
    const services = new Services(loadConfig(process.env));
    const tenant = await activeTenant(services);
    const [user] = await usersOf(tenant, 1, async (claims) => (await getSimulation().issueUserToken(claims)).access_token);
    const signingKey = JSON.stringify(await getSimulation().signer.exportPrivateJwk());
    const started = performance.now();
    const fresh = await startBenchHost(storage.connectionString, { BENCH_SIGNING_JWK: signingKey, PORT: String(port), PINRESET_PUBLIC_BASE_URL: baseUrl });
    const readyMs = performance.now() - started;
    try {
      const response = await fetch(`${fresh.url}${DECRYPT_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user!.token}`, 'content-type': 'application/json' },
        body: user!.body,
      });
      const body = await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`first decrypt: ${response.status} ${new TextDecoder().decode(body)}`);
      return { readyMs, firstDecryptMs: performance.now() - started };
    } finally {
      await fresh.stop();
    }
  } finally {
    process.env = previousEnv;
    resetConfigForTests();
    await storage.stop();
  }
}

/**
 * Every HTTP run: the figures are those of a service that has run for a while (JIT, caches, a
 * contended tenant counter); the first decrypt of a fresh process is measured on its own (firstDecrypt).
 */
const HTTP_RUN = { warmupMs: 3_000, durationMs: 5_000 };

/** CPU ms per answered request of each process during the measured part (undefined without /proc). */
interface CpuSplit {
  /** The server's processes: the host and its cluster workers. */
  server: number | undefined;
  azurite: number | undefined;
  /** This process. */
  loadGenerator: number | undefined;
}

interface HttpThroughput extends Throughput {
  cpu: CpuSplit;
  /** Table transactions the service's processes made per answered decrypt (service runs only). */
  tablePerDecrypt: number | undefined;
}

/** One HTTP run: the service (rate limits off or on), or the bare RSA-over-HTTP ceiling. */
interface HttpFigures {
  workers: number;
  limits: 'off' | 'on' | 'ceiling';
  result: HttpThroughput & { users: number };
}

/**
 * runLoad, with the CPU of the server's processes, Azurite's and this process's metered over the
 * measured part, and (`tableTransactions`) the service's Table transactions per answer over it.
 */
async function meteredLoad(
  processes: { server: number; azurite?: number; tableTransactions?: () => Promise<number> },
  options: LoadOptions,
): Promise<HttpThroughput> {
  let meter: ReturnType<typeof meterCpu<'server' | 'azurite'>> | undefined;
  let used: Partial<Record<'server' | 'azurite' | 'self', number | undefined>> = {};
  const transactions: Partial<Record<'start' | 'end', { count: Promise<number>; answered: number }>> = {};
  const result = await runLoad({
    ...options,
    onMeasuring: (phase, answered) => {
      if (phase === 'start') meter = meterCpu({ server: processes.server, azurite: processes.azurite });
      else used = meter?.stop() ?? {};
      // Asked now (the signal goes out before the first await), read once the run is over.
      if (processes.tableTransactions) transactions[phase] = { count: processes.tableTransactions(), answered };
    },
  });
  const perRequest = (ms: number | undefined) => (ms === undefined || result.requests === 0 ? undefined : ms / result.requests);
  const { start, end } = transactions;
  const tablePerDecrypt = start && end ? ((await end.count) - (await start.count)) / (end.answered - start.answered) : undefined;
  return { ...result, cpu: { server: perRequest(used.server), azurite: perRequest(used.azurite), loadGenerator: perRequest(used.self) }, tablePerDecrypt };
}

/**
 * The ceiling of the HTTP figures (rsa-http-ceiling.ts): bare node:http on `workers` cluster workers
 * doing one RSA-3072 OAEP decrypt per request, no Azurite, under the same load generator and load.
 */
async function httpCeiling(workers: number): Promise<HttpThroughput> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const bodies = Array.from({ length: 64 }, () =>
    JSON.stringify({
      wrapped: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32)).toString('base64url'),
    }),
  );
  const port = await freePort();
  const ceiling = await startReadyProcess('./rsa-http-ceiling.js', {
    PORT: String(port),
    BENCH_HOST_WORKERS: String(workers),
    BENCH_RSA_PRIVATE_PEM: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  try {
    const pool = cycle(bodies);
    return await meteredLoad(
      { server: ceiling.pid },
      {
        url: `${ceiling.url}/`,
        method: 'POST',
        concurrency: CONCURRENCY,
        ...HTTP_RUN,
        next: () => ({ headers: { 'content-type': 'application/json' }, body: pool.next() }),
      },
    );
  } finally {
    await ceiling.stop();
  }
}

async function httpThroughput(env: Record<string, string>, workers: number, userCount: number): Promise<HttpThroughput & { users: number }> {
  const service = await startBenchService({ ...env, BENCH_HOST_WORKERS: String(workers), BENCH_COUNT_TABLE_TX: '1' });
  try {
    const services = new Services(loadConfig({ ...process.env, PINRESET_DEV_MODE: 'true', ...env, TABLES_CONNECTION_STRING: service.connectionString }));
    const tenant = await activeTenant(services);
    const users = await usersOf(tenant, userCount, (claims) => devToken(service.url, claims));
    const pool = cycle(users);
    const result = await meteredLoad(
      { server: service.pid, azurite: service.azuritePid, tableTransactions: service.tableTransactions },
      {
        url: `${service.url}${DECRYPT_PATH}`,
        method: 'POST',
        concurrency: CONCURRENCY,
        ...HTTP_RUN,
        next: () => {
          const user = pool.next();
          return { headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: user.body };
        },
      },
    );
    return { ...result, users: Math.min(users.length, pool.used()) };
  } finally {
    await service.stop();
  }
}

interface Timing {
  meanUs: number;
  p50Us: number;
  p99Us: number;
}

function timingOf(samplesNs: bigint[]): Timing {
  const us = samplesNs.map((ns) => Number(ns) / 1000).sort((a, b) => a - b);
  return { meanUs: us.reduce((sum, value) => sum + value, 0) / us.length, p50Us: percentile(us, 0.5), p99Us: percentile(us, 0.99) };
}

/**
 * Bad key-wraps (random 384 bytes: about half of them not below the modulus) and bad tags (one bit
 * flipped), measured interleaved so that drift hits both alike.
 */
async function failureTimings(services: Services, tenant: Tenant, privateKey: KeyObject) {
  const oid = randomUUID();
  const good = await protect(tenant, oid);
  const [header, wrap, iv, ciphertext, tag] = good.split('.') as [string, string, string, string, string];
  const variants = 32;
  const cases = {
    badWrap: Array.from({ length: variants }, () => [header, randomBytes(384).toString('base64url'), iv, ciphertext, tag].join('.')),
    badTag: Array.from({ length: variants }, (_, index) => {
      const flipped = Buffer.from(tag, 'base64url');
      flipped[index % flipped.length]! ^= 1 << (index % 8);
      return [header, wrap, iv, ciphertext, flipped.toString('base64url')].join('.');
    }),
  };

  const decryptor = { badWrap: [] as bigint[], badTag: [] as bigint[] };
  for (let round = 0; round < 2_000; round += 1) {
    for (const name of ['badWrap', 'badTag'] as const) {
      const parsed = parseProtectedSecret(cases[name][round % variants]!);
      const started = process.hrtime.bigint();
      try {
        decryptProtectedSecret(parsed, privateKey);
      } catch {
        // Expected: both fail.
      }
      if (round >= 100) decryptor[name].push(process.hrtime.bigint() - started);
    }
  }

  setServices(services);
  const invoke = directHandler(services);
  const token = await getSimulation().issueUserToken({ tid: tenant.tid, oid, amr: ['pwd', 'mfa'] });
  const handler = { badWrap: [] as bigint[], badTag: [] as bigint[] };
  for (let round = 0; round < 400; round += 1) {
    for (const name of ['badWrap', 'badTag'] as const) {
      const started = process.hrtime.bigint();
      const status = await invoke({ token: token.access_token, body: JSON.stringify({ protectedSecret: cases[name][round % variants] }) });
      if (status !== 400) throw new Error(`${name}: expected 400, got ${status}`);
      if (round >= 20) handler[name].push(process.hrtime.bigint() - started);
    }
  }
  return {
    decryptor: { badWrap: timingOf(decryptor.badWrap), badTag: timingOf(decryptor.badTag) },
    handler: { badWrap: timingOf(handler.badWrap), badTag: timingOf(handler.badTag) },
  };
}

export async function inServiceEnvironment<T>(service: BenchService, run: () => Promise<T>): Promise<T> {
  const previousEnv = { ...process.env };
  Object.assign(process.env, {
    PINRESET_DEV_MODE: 'true',
    TABLES_CONNECTION_STRING: service.connectionString,
    PINRESET_PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
  });
  resetConfigForTests();
  const simulation = startMicrosoftSimulation();
  try {
    return await run();
  } finally {
    simulation.close();
    setServices(undefined);
    process.env = previousEnv;
    resetConfigForTests();
  }
}

const us = (value: number) => round(value, 0);
const cpuFigure = (ms: number | undefined) => (ms === undefined ? '' : round(ms, 3));

/** The rate at which the run's processes together would use every core: the most the machine allows at that CPU per decrypt. */
function cpuBound(cpu: CpuSplit): number | '' {
  const parts = [cpu.server, cpu.azurite ?? 0, cpu.loadGenerator];
  if (parts.some((part) => part === undefined)) return '';
  const total = (parts as number[]).reduce((sum, part) => sum + part, 0);
  return round((os.cpus().length * 1000) / total, 0);
}

export interface DecryptFigures {
  rawRsaPerSec: number;
  rawCpuMsPerDecrypt: number;
  handlerOff: HandlerFigures;
  handlerOn: HandlerFigures;
  /** The least any decrypt on this stack must spend (stack-floor.ts): the handler's ratio cannot pass its. */
  floor: FloorFigures;
  http: HttpFigures[];
  firstDecryptMs: number;
  readyMs: number;
}

export async function runDecryptBench(): Promise<DecryptFigures> {
  const raw = new RawRsa();
  raw.run(1_000);
  // The handler runs in this process; its Azurite is a separate process (the bench service's).
  const storage = await startBenchService();
  let off: HandlerFigures;
  let on: HandlerFigures;
  let floor: FloorFigures;
  let failures: Awaited<ReturnType<typeof failureTimings>>;
  try {
    ({ off, on, floor, failures } = await inServiceEnvironment(storage, async () => {
      const counted = (env: Record<string, string>) => {
        const config = loadConfig({ ...process.env, ...env });
        const counter = new TableTransactionCounter();
        return { services: new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }) }), counter };
      };
      const limitsOff = counted(LIMITS_OFF);
      const tenant = await activeTenant(limitsOff.services);
      const users = await usersOf(tenant, 5_000, async (claims) => (await getSimulation().issueUserToken(claims)).access_token);
      const off = await handlerThroughput(limitsOff.services, limitsOff.counter, users, 4_000, raw);
      const limitsOn = counted(LIMITS_ON);
      const on = await handlerThroughput(limitsOn.services, limitsOn.counter, users, 4_000, raw);
      const floor = await stackFloor(limitsOn.services, tenant.tid, users, on.tablePerDecrypt, CONCURRENCY, 3_000, raw);
      const privateKey = await limitsOff.services.protectorKeys.decryptionKey(tenant.tid, tenant.jwk.kid);
      if (!privateKey.ok) throw new Error('no private key');
      return { off, on, floor, failures: await failureTimings(limitsOff.services, tenant, privateKey.privateKey) };
    }));
  } finally {
    await storage.stop();
  }
  const http: HttpFigures[] = [];
  for (const workers of [1, 2]) {
    raw.run(1_000);
    http.push({ workers, limits: 'ceiling', result: { ...(await httpCeiling(workers)), users: 0 } });
    for (const [limits, env] of [
      ['off', LIMITS_OFF],
      ['on', LIMITS_ON],
    ] as const) {
      // A raw slice before each run: the HTTP ratio's baseline is the run's own raw figure.
      raw.run(1_000);
      http.push({ workers, limits, result: await httpThroughput(env, workers, 5_000) });
    }
  }
  const cold = await firstDecrypt();

  const rawRow = {
    path: 'raw crypto.privateDecrypt RSA-3072 OAEP-SHA256 (baseline, this process)',
    'decrypts/s': round(raw.perSecond, 0),
    'raw decrypts/s': round(raw.perSecond, 0),
    'ratio to raw': 1,
    'CPU ms/decrypt': round(raw.cpuMsPerDecrypt, 3),
    'CPU ratio (raw/this)': 1,
    'table tx/decrypt': 0,
    'p50 ms': round(1000 / raw.perSecond, 2),
    'p99 ms': '',
    errors: 0,
  };
  const row = (path: string, result: HandlerFigures) => ({
    path,
    'decrypts/s': round(result.perSecond, 0),
    'raw decrypts/s': round(raw.perSecond, 0),
    'ratio to raw': round(result.perSecond / raw.perSecond, 2),
    'CPU ms/decrypt': round(result.cpuMsPerDecrypt, 3),
    'CPU ratio (raw/this)': round(result.rawCpuMsPerDecrypt / result.cpuMsPerDecrypt, 2),
    'table tx/decrypt': round(result.tablePerDecrypt, 3),
    'p50 ms': round(result.p50Ms, 2),
    'p99 ms': round(result.p99Ms, 2),
    errors: result.errors,
  });
  printTable(
    `Decrypt: raw RSA vs the handler (direct invoke, ${CONCURRENCY} in flight, one user per decrypt; CPU = process.cpuUsage of the service process; Azurite in its own process)`,
    [
      rawRow,
      row('handler: token + MFA + key state + key cache + audit, rate limits off', off),
      row('handler: same, rate limits on (per user + per tenant, Table-backed)', on),
      {
        ...rawRow,
        path: `stack floor: only what no decrypt can skip, on the same libraries (${floor.decryptsPerTransaction} decrypts per transaction; stack-floor.ts)`,
        'decrypts/s': '',
        'ratio to raw': '',
        'CPU ms/decrypt': round(floor.cpuMsPerDecrypt, 3),
        'CPU ratio (raw/this)': round(floor.rawCpuMsPerDecrypt / floor.cpuMsPerDecrypt, 2),
        'table tx/decrypt': round(1 / floor.decryptsPerTransaction, 3),
        'p50 ms': '',
      },
    ],
  );
  const httpRow = ({ workers, limits, result }: HttpFigures) => {
    const ceiling = http.find((entry) => entry.workers === workers && entry.limits === 'ceiling')!.result;
    const setup = `${workers} worker${workers > 1 ? 's (cluster)' : ''}`;
    return {
      config: limits === 'ceiling' ? `${setup}: bare node:http + RSA only (ceiling)` : `${setup}: the service, rate limits ${limits}, audit on`,
      'decrypts/s': round(result.perSecond, 0),
      'raw decrypts/s (baseline)': round(raw.perSecond, 0),
      'ratio to raw': round(result.perSecond / raw.perSecond, 2),
      'ratio to ceiling': round(result.perSecond / ceiling.perSecond, 2),
      'p50 ms': round(result.p50Ms, 2),
      'p99 ms': round(result.p99Ms, 2),
      'CPU ms/decrypt: server': cpuFigure(result.cpu.server),
      Azurite: limits === 'ceiling' ? '' : cpuFigure(result.cpu.azurite),
      'load generator': cpuFigure(result.cpu.loadGenerator),
      'all cores allow /s': cpuBound(result.cpu),
      'table tx/decrypt': result.tablePerDecrypt === undefined ? '' : round(result.tablePerDecrypt, 3),
      'distinct users': limits === 'ceiling' ? '' : result.users,
      errors: result.errors,
    };
  };
  printTable(
    `Decrypt over HTTP (server processes, Azurite and load generator on ${os.cpus().length} cores), ${CONCURRENCY} keep-alive clients; the ceiling does only the RSA per request`,
    http.map(httpRow),
  );
  printTable('Cold start as a user meets it (one fresh service process; its Azurite already running)', [
    { case: 'spawn → listening', ms: round(cold.readyMs) },
    { case: 'spawn → first successful decrypt answer', ms: round(cold.firstDecryptMs) },
  ]);
  const timingRow = (path: string, kind: string, timing: Timing) => ({
    path,
    failure: kind,
    'mean µs': us(timing.meanUs),
    'p50 µs': us(timing.p50Us),
    'p99 µs': us(timing.p99Us),
  });
  printTable('Decrypt failures side by side (RFC 7516 §11.5: no timing gap between a bad key-wrap and a bad tag)', [
    timingRow('JWE decryptor', 'bad key-wrap (random 384 bytes)', failures.decryptor.badWrap),
    timingRow('JWE decryptor', 'bad tag (one bit flipped)', failures.decryptor.badTag),
    timingRow('handler (direct invoke, sequential, audit on)', 'bad key-wrap (random 384 bytes)', failures.handler.badWrap),
    timingRow('handler (direct invoke, sequential, audit on)', 'bad tag (one bit flipped)', failures.handler.badTag),
  ]);
  return {
    rawRsaPerSec: raw.perSecond,
    rawCpuMsPerDecrypt: raw.cpuMsPerDecrypt,
    handlerOff: off,
    handlerOn: on,
    floor,
    http,
    firstDecryptMs: cold.firstDecryptMs,
    readyMs: cold.readyMs,
  };
}

/** With BENCH_CPU_PROFILE=<file>, a V8 CPU profile of `run` alone (not the setup) is written there. */
async function profiled<T>(run: () => Promise<T>): Promise<T> {
  const target = process.env.BENCH_CPU_PROFILE;
  if (!target) return run();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await (await import('node:fs/promises')).writeFile(target, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * Only the in-process figures: raw RSA and the handler's CPU per decrypt (rate limits on), side by side,
 * `rounds` times back to back. `node dist/test/bench/decrypt.js handler [rounds]` (quick before/after
 * comparisons; add `--cpu-prof` to node for a profile of the handler).
 */
export async function runHandlerCpuBench(rounds: number): Promise<void> {
  const storage = await startBenchService();
  try {
    await inServiceEnvironment(storage, async () => {
      const config = loadConfig({ ...process.env, ...LIMITS_ON });
      const counter = new TableTransactionCounter();
      const services = new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }) });
      const tenant = await activeTenant(services);
      const users = await usersOf(tenant, 5_000, async (claims) => (await getSimulation().issueUserToken(claims)).access_token);
      const rows = [];
      const raw = new RawRsa();
      for (let round_ = 0; round_ < rounds; round_ += 1) {
        const on = await profiled(() => handlerThroughput(services, counter, users, 3_000, raw));
        const floor = await stackFloor(services, tenant.tid, users, on.tablePerDecrypt, CONCURRENCY, 2_000, raw);
        rows.push({
          round: round_ + 1,
          'raw CPU ms/decrypt (interleaved)': round(on.rawCpuMsPerDecrypt, 3),
          'handler CPU ms/decrypt': round(on.cpuMsPerDecrypt, 3),
          'CPU ratio (raw/handler)': round(on.rawCpuMsPerDecrypt / on.cpuMsPerDecrypt, 3),
          'table tx/decrypt': round(on.tablePerDecrypt, 3),
          'stack floor CPU ratio': round(floor.rawCpuMsPerDecrypt / floor.cpuMsPerDecrypt, 3),
          errors: on.errors,
        });
      }
      printTable('Decrypt handler CPU (direct invoke, rate limits + audit on) vs raw RSA, back to back', rows);
    });
  } finally {
    await storage.stop();
  }
}

/**
 * Only the HTTP run of `workers` workers with rate limits `limits`, with its CPU split:
 * `node dist/test/bench/decrypt.js http [workers] [on|off]`. With BENCH_HOST_CPU_PROF=<dir> the
 * service's processes write V8 CPU profiles there when they stop (node --cpu-prof).
 */
export async function runHttpBench(workers: number, limits: 'on' | 'off'): Promise<void> {
  const profileDir = process.env.BENCH_HOST_CPU_PROF;
  const env = {
    ...(limits === 'on' ? LIMITS_ON : LIMITS_OFF),
    ...(profileDir ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim() } : {}),
  };
  const raw = new RawRsa();
  raw.run(1_000);
  const result = await httpThroughput(env, workers, 5_000);
  printTable(`Decrypt over HTTP, ${workers} worker(s), rate limits ${limits}`, [
    {
      'decrypts/s': round(result.perSecond, 0),
      'ratio to raw': round(result.perSecond / raw.perSecond, 2),
      'p50 ms': round(result.p50Ms, 2),
      'p99 ms': round(result.p99Ms, 2),
      'CPU ms/decrypt: server': cpuFigure(result.cpu.server),
      Azurite: cpuFigure(result.cpu.azurite),
      'load generator': cpuFigure(result.cpu.loadGenerator),
      'table tx/decrypt': result.tablePerDecrypt === undefined ? '' : round(result.tablePerDecrypt, 3),
      'raw RSA CPU ms': round(raw.cpuMsPerDecrypt, 3),
      errors: result.errors,
    },
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === 'handler') await runHandlerCpuBench(Number(process.argv[3] ?? 3));
  else if (process.argv[2] === 'http') await runHttpBench(Number(process.argv[3] ?? 2), process.argv[4] === 'off' ? 'off' : 'on');
  else await runDecryptBench();
}
