import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { COUNTER_ROW_PREFIX } from '../../shared/storage/rate-limit-repository.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { userPrincipal } from '../support/principals.js';
import { craftJwe } from '../support/protector-client.js';

useSimulatedMicrosoft();
afterEach(() => setServices(undefined));

const ACTOR = { initiatedBy: { user: { id: 'admin-1' } }, correlationId: 'test' };

const caller = userPrincipal;

/** One service instance (one process in production) whose table clients count every request they send. */
function instance(limits: { perUser: number; perTenant: number }): { services: Services; counter: TableTransactionCounter } {
  const config = loadConfig({
    ...process.env,
    PINRESET_DECRYPT_LIMIT_PER_USER: String(limits.perUser),
    PINRESET_DECRYPT_LIMIT_PER_TENANT: String(limits.perTenant),
    // Key state read once and kept for the whole test: only the decrypt's own transactions are counted.
    PINRESET_KEY_STATE_CACHE_SECONDS: '600',
  });
  const counter = new TableTransactionCounter();
  return { services: new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }) }), counter };
}

async function protectedFor(services: Services, tid: string, oid: string): Promise<string> {
  const { jwks } = await services.protectorKeys.jwks(tid, ACTOR);
  const jwk = jwks.keys[0]!;
  return craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid });
}

async function outcome(services: Services, tid: string, oid: string, jwe: string): Promise<string> {
  return services.protectorDecrypt.decrypt(caller(tid, oid), jwe, randomUUID()).then(
    () => 'decrypted',
    (error: { code?: string }) => error.code ?? String(error),
  );
}

/** An active tenant whose key state and key are already in `services`' caches (one warm-up decrypt). */
async function warmTenant(services: Services): Promise<string> {
  setServices(services);
  const tid = await activateTenant();
  const oid = randomUUID();
  expect(await outcome(services, tid, oid, await protectedFor(services, tid, oid))).toBe('decrypted');
  return tid;
}

function counterTable(): TableClient {
  return TableClient.fromConnectionString(process.env.TABLES_CONNECTION_STRING!, 'AuditEvents', { allowInsecureConnection: true });
}

async function counterRows(tid: string): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  for await (const entity of counterTable().listEntities<{ count: number }>({
    queryOptions: { filter: `PartitionKey eq '${tid}' and RowKey ge '${COUNTER_ROW_PREFIX}'` },
  })) {
    rows.set(entity.rowKey!, entity.count);
  }
  return rows;
}

function userCounterOf(rows: Map<string, number>, oid: string): number | undefined {
  return [...rows].find(([rowKey]) => rowKey.startsWith(`${COUNTER_ROW_PREFIX}user_${oid}_`))?.[1];
}

describe('Table transactions per decrypt, rate limits and audit on', () => {
  it('makes exactly one transaction per decrypt one at a time: audit row, user and tenant counters together', async () => {
    const { services, counter } = instance({ perUser: 10, perTenant: 1000 });
    const tid = await warmTenant(services);
    const users = Array.from({ length: 12 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(services, tid, oid)));
    const { counts } = await counter.measure(async () => {
      for (const [index, oid] of users.entries()) expect(await outcome(services, tid, oid, jwes[index]!)).toBe('decrypted');
      // The same user again: an ETag-conditional update of its counter, still in the audit transaction.
      expect(await outcome(services, tid, users[0]!, jwes[0]!)).toBe('decrypted');
    });
    expect(counts.total).toBe(users.length + 1);
    expect(counts.byKind.batch).toBe(users.length + 1);

    const rows = await counterRows(tid);
    expect(userCounterOf(rows, users[0]!)).toBe(2);
    for (const oid of users.slice(1)) expect(userCounterOf(rows, oid)).toBe(1);
    const audited = (await services.audit.list(tid, { top: 100 })).events;
    expect(audited.filter((event) => event.activity === 'protectorDecrypt' && event.result === 'success')).toHaveLength(users.length + 2);
    expect(audited.every((event) => typeof event.id === 'string' && event.id.length > 0)).toBe(true);
  });

  it('makes fewer transactions than decrypts when they are concurrent (one transaction per batch of a tenant)', async () => {
    const { services, counter } = instance({ perUser: 10, perTenant: 1000 });
    const tid = await warmTenant(services);
    const users = Array.from({ length: 48 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(services, tid, oid)));
    const { result, counts } = await counter.measure(() => Promise.all(users.map((oid, index) => outcome(services, tid, oid, jwes[index]!))));
    expect(result.every((answer) => answer === 'decrypted')).toBe(true);
    expect(counts.total).toBeLessThan(users.length);
    const rows = await counterRows(tid);
    for (const oid of users) expect(userCounterOf(rows, oid)).toBe(1);
  });
});

describe('rate limits across two service instances on one Azurite', () => {
  it('admits at most the per-user limit under concurrency, with every other attempt a 429 (over-admission 0)', async () => {
    const limit = 5;
    const a = instance({ perUser: limit, perTenant: 1000 });
    const b = instance({ perUser: limit, perTenant: 1000 });
    const tid = await warmTenant(a.services);
    setServices(b.services);
    const oid = randomUUID();
    const jwe = await protectedFor(a.services, tid, oid);
    // Both instances already know the user's counter (one decrypt each), so both claim from a stale count.
    expect(await outcome(a.services, tid, oid, jwe)).toBe('decrypted');
    expect(await outcome(b.services, tid, oid, jwe)).toBe('decrypted');
    const answers = await Promise.all(Array.from({ length: 24 }, (_, index) => outcome(index % 2 ? a.services : b.services, tid, oid, jwe)));
    expect(answers.filter((answer) => answer === 'decrypted')).toHaveLength(limit - 2);
    expect(answers.filter((answer) => answer !== 'decrypted').every((answer) => answer === 'TooManyRequests')).toBe(true);
    expect(userCounterOf(await counterRows(tid), oid)).toBe(limit);
    const audited = (await a.services.audit.list(tid, { top: 100 })).events.filter((event) => 'user' in event.initiatedBy && event.initiatedBy.user.id === oid);
    expect(audited.filter((event) => event.result === 'success')).toHaveLength(limit);
    expect(audited.filter((event) => event.resultReason === 'rateLimited')).toHaveLength(24 - (limit - 2));
  });

  it('never admits more than a block-claimed per-tenant limit over both instances', async () => {
    const limit = 1000; // claimed in blocks of 10
    const a = instance({ perUser: 0, perTenant: limit });
    const b = instance({ perUser: 0, perTenant: limit });
    const tid = await warmTenant(a.services);
    setServices(b.services);
    // Bring the shared count to 10 short of the limit, as other instances would have.
    const row = [...(await counterRows(tid)).keys()].find((key) => key.startsWith(`${COUNTER_ROW_PREFIX}tenant_`))!;
    const table = counterTable();
    const stored = await table.getEntity(tid, row);
    await table.updateEntity({ partitionKey: tid, rowKey: row, count: limit - 10, windowEnd: stored.windowEnd }, 'Replace', { etag: stored.etag });
    const users = Array.from({ length: 30 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(a.services, tid, oid)));
    const answers = await Promise.all(users.map((oid, index) => outcome(index % 2 ? a.services : b.services, tid, oid, jwes[index]!)));
    // Instance a still holds 9 of its first block; the window has 10 more for both together. A block
    // claimed and not spent yet may make an instance refuse early, never late.
    const admitted = answers.filter((answer) => answer === 'decrypted').length;
    expect(admitted).toBeLessThanOrEqual(19);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(answers.filter((answer) => answer !== 'decrypted').every((answer) => answer === 'TooManyRequests')).toBe(true);
    expect((await counterRows(tid)).get(row)).toBeLessThanOrEqual(limit);
  });
});

describe('the per-tenant counter every instance shares', () => {
  it('fails at most one audit transaction per instance: after a conflict its blocks are claimed with writes of their own', async () => {
    // 1000 per tenant: blocks of 10. Each instance's block claims change the row's ETag under the other.
    const a = instance({ perUser: 10, perTenant: 1000 });
    const b = instance({ perUser: 10, perTenant: 1000 });
    const tid = await warmTenant(a.services);
    setServices(b.services);
    const users = Array.from({ length: 120 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(a.services, tid, oid)));
    const before = [a.counter.snapshot(), b.counter.snapshot()];
    // One at a time, alternating: every decrypt's audit row and user counter go in one transaction.
    for (const [index, oid] of users.entries()) expect(await outcome(index % 2 ? a.services : b.services, tid, oid, jwes[index]!)).toBe('decrypted');
    const batches = [a.counter, b.counter].reduce((sum, counter, index) => sum + counter.snapshot().byKind.batch - before[index]!.byKind.batch, 0);
    // A transaction that failed on the tenant counter's claim is sent again: at most once per instance.
    expect(batches).toBeGreaterThanOrEqual(users.length);
    expect(batches).toBeLessThanOrEqual(users.length + 2);
    const tenantCount = [...(await counterRows(tid))].find(([rowKey]) => rowKey.startsWith(`${COUNTER_ROW_PREFIX}tenant_`))?.[1];
    // Every admitted decrypt is in the shared count (blocks claimed ahead make it larger, never smaller).
    expect(tenantCount).toBeGreaterThanOrEqual(users.length + 1);
    expect(tenantCount).toBeLessThanOrEqual(users.length + 1 + 4 * 10);
  });
});

describe('user counters another instance created', () => {
  it('costs one failed transaction per instance and window, not one per user: after it, new counters are read first', async () => {
    const a = instance({ perUser: 10, perTenant: 0 });
    const b = instance({ perUser: 10, perTenant: 0 });
    const tid = await warmTenant(a.services);
    setServices(b.services);
    const users = Array.from({ length: 12 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(a.services, tid, oid)));
    // Every user decrypts once on a; b has seen none of their counters (b's key state is cached already).
    for (const [index, oid] of users.entries()) expect(await outcome(a.services, tid, oid, jwes[index]!)).toBe('decrypted');
    const newcomer = randomUUID();
    expect(await outcome(b.services, tid, newcomer, await protectedFor(b.services, tid, newcomer))).toBe('decrypted');
    const { counts } = await b.counter.measure(async () => {
      for (const [index, oid] of users.entries()) expect(await outcome(b.services, tid, oid, jwes[index]!)).toBe('decrypted');
    });
    // The first user's blind create fails its transaction once; every later user's counter is read first.
    expect(counts.byKind.batch).toBe(users.length + 1);
    expect(counts.byKind.read).toBe(users.length);
    const rows = await counterRows(tid);
    for (const oid of users) expect(userCounterOf(rows, oid)).toBe(2);
  });

  it("still creates new users' counters blind after the tenant counter every instance shares conflicted", async () => {
    const a = instance({ perUser: 10, perTenant: 1000 });
    const b = instance({ perUser: 10, perTenant: 1000 });
    const tid = await warmTenant(a.services);
    setServices(b.services);
    // b's first claim of the tenant counter is a blind create of a row a made: it conflicts.
    const first = randomUUID();
    expect(await outcome(b.services, tid, first, await protectedFor(b.services, tid, first))).toBe('decrypted');
    const users = Array.from({ length: 8 }, () => randomUUID());
    const jwes = await Promise.all(users.map((oid) => protectedFor(b.services, tid, oid)));
    const { counts } = await b.counter.measure(async () => {
      for (const [index, oid] of users.entries()) expect(await outcome(b.services, tid, oid, jwes[index]!)).toBe('decrypted');
    });
    // New users: no read of their counters (the tenant's block, claimed ahead, may cost one read).
    expect(counts.byKind.read).toBeLessThanOrEqual(1);
    expect(counts.byKind.batch).toBe(users.length);
  });
});

describe('the rate limiter heals itself', () => {
  it('recreates a user counter row deleted under a live user: the next decrypt succeeds, never 404', async () => {
    const { services } = instance({ perUser: 3, perTenant: 1000 });
    const tid = await warmTenant(services);
    const oid = randomUUID();
    const jwe = await protectedFor(services, tid, oid);
    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    const rowKey = [...(await counterRows(tid)).keys()].find((key) => key.startsWith(`${COUNTER_ROW_PREFIX}user_${oid}_`))!;
    await counterTable().deleteEntity(tid, rowKey);

    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    expect(userCounterOf(await counterRows(tid), oid)).toBe(1);
    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    // The recreated counter holds the limit again.
    expect(await outcome(services, tid, oid, jwe)).toBe('TooManyRequests');
  });

  it('refuses correctly (429, not 404) when the deleted row was already exhausted here, and recreates a deleted tenant counter', async () => {
    const { services } = instance({ perUser: 1, perTenant: 1000 });
    const tid = await warmTenant(services);
    const oid = randomUUID();
    const jwe = await protectedFor(services, tid, oid);
    expect(await outcome(services, tid, oid, jwe)).toBe('decrypted');
    const rows = await counterRows(tid);
    for (const rowKey of rows.keys()) await counterTable().deleteEntity(tid, rowKey);
    expect(await outcome(services, tid, oid, jwe)).toBe('TooManyRequests');

    // The tenant counter's block (10) runs out and is claimed again on a row that no longer exists.
    const others = Array.from({ length: 12 }, () => randomUUID());
    for (const other of others) expect(await outcome(services, tid, other, await protectedFor(services, tid, other))).toBe('decrypted');
    const tenantRow = [...(await counterRows(tid))].find(([rowKey]) => rowKey.startsWith(`${COUNTER_ROW_PREFIX}tenant_`));
    expect(tenantRow?.[1]).toBeGreaterThanOrEqual(10);
  });
});
