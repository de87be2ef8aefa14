import { randomUUID } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { loadConfig, resetConfigForTests } from '../../shared/config.js';
import { startAzurite, type RunningAzurite } from '../../shared/dev/azurite.js';
import { startLocalHost, type RunningLocalHost } from '../../shared/http/local-host.js';
import { STORAGE_DEADLINE_MS } from '../../shared/storage/table-store.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { craftJwe } from '../support/protector-client.js';
import { adminToken, bearer, mfaToken } from '../support/tokens.js';

useSimulatedMicrosoft();

const DECRYPT = '/v1.0/me/pinResetProtector/decrypt';
/** Time for the answer to travel once the deadline fired (a loaded shared machine). */
const SLACK_MS = 2_000;

// A storage of its own (never the shared test Azurite: it is frozen here), with the service in this
// process on a loopback port, as `npm start` runs it.
let azurite: RunningAzurite;
let host: RunningLocalHost;
let services: Services;

beforeAll(async () => {
  azurite = await startAzurite();
  host = await startLocalHost({ routes: ROUTES, port: 0 });
  // Its URL is the public base URL, as under useLocalHost: the development authority (and so the
  // tokens' issuer) follows it.
  process.env.PINRESET_PUBLIC_BASE_URL = host.url;
  resetConfigForTests();
  services = new Services(loadConfig({ ...process.env, TABLES_CONNECTION_STRING: azurite.connectionString }));
  setServices(services);
});

afterAll(async () => {
  if (azurite) process.kill(azurite.pid, 'SIGCONT');
  await host?.close();
  await azurite?.stop();
  setServices(undefined);
});

interface Timed {
  name: string;
  status: number;
  retryAfter: string | null;
  ms: number;
}

async function timed(name: string, path: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(`${host.url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return { name, status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
}

async function decryptRequest(tid: string, oid: string, jwe: string): Promise<RequestInit> {
  return {
    method: 'POST',
    headers: { ...bearer(await mfaToken(tid, oid)), 'content-type': 'application/json' },
    body: JSON.stringify({ protectedSecret: jwe }),
  };
}

describe('storage that stops answering (Azurite frozen with SIGSTOP)', () => {
  it('answers every request 503 + Retry-After within the storage deadline, /health included, and recovers after SIGCONT', async () => {
    const tid = await activateTenant();
    const { jwks } = await services.protectorKeys.jwks(tid, { initiatedBy: { user: { id: 'admin' } }, correlationId: 'freeze' });
    const jwk = jwks.keys[0]!;
    const known = randomUUID();
    const knownJwe = craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid: known });
    const fresh = randomUUID();
    const freshJwe = craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid: fresh });
    // Warm: key state cached and the user's counter known, so a frozen decrypt reaches only its audit write.
    expect((await timed('decrypt', DECRYPT, await decryptRequest(tid, known, knownJwe))).status).toBe(200);
    expect((await timed('health', '/health')).status).toBe(200);
    const admin = bearer(await adminToken(tid));
    const requests: [string, string, RequestInit][] = [
      ['health', '/health', {}],
      ['decrypt (state cached)', DECRYPT, await decryptRequest(tid, known, knownJwe)],
      ['decrypt (new user)', DECRYPT, await decryptRequest(tid, fresh, freshJwe)],
      ['decrypt (other tenant, nothing cached)', DECRYPT, await decryptRequest(randomUUID(), fresh, freshJwe)],
      ['organization', '/v1.0/organization?$select=id', { headers: admin }],
      ['protector keys (JWKS)', `/v1.0/organization/${tid}/pinResetProtectorKeys`, { headers: admin }],
      ['key versions', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions`, { headers: admin }],
    ];

    process.kill(azurite.pid, 'SIGSTOP');
    let frozen: Timed[];
    try {
      frozen = await Promise.all(requests.map(([name, path, init]) => timed(name, path, init)));
    } finally {
      process.kill(azurite.pid, 'SIGCONT');
    }
    for (const answer of frozen) {
      expect(answer, answer.name).toMatchObject({ status: 503 });
      expect(Number(answer.retryAfter), answer.name).toBeGreaterThan(0);
      expect(answer.ms, answer.name).toBeLessThan(STORAGE_DEADLINE_MS + SLACK_MS);
    }

    // Recovered: the same requests answer normally again.
    let health = await timed('health', '/health');
    for (let attempt = 0; health.status !== 200 && attempt < 20; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      health = await timed('health', '/health');
    }
    expect(health.status).toBe(200);
    expect((await timed('decrypt', DECRYPT, await decryptRequest(tid, fresh, freshJwe))).status).toBe(200);
    expect((await timed('decrypt', DECRYPT, await decryptRequest(tid, known, knownJwe))).status).toBe(200);
    // A transaction cut off by the deadline may still land once storage resumes: then the audit shows
    // that attempt (audit errs on the side of recording; its secret never left). Nothing else appears.
    const audited = (await services.audit.list(tid, { top: 100, activity: 'protectorDecrypt' })).events;
    expect(audited.length).toBeGreaterThanOrEqual(3);
    expect(audited.length).toBeLessThanOrEqual(3 + 2);
    expect(new Set(audited.map((event) => (event.initiatedBy && 'user' in event.initiatedBy ? event.initiatedBy.user.id : '')))).toEqual(
      new Set([known, fresh]),
    );
  });
});

describe('tables are never created at request time', () => {
  it('answers 503 + Retry-After when a table is missing, and leaves it missing', async () => {
    const tid = await activateTenant();
    const { jwks } = await services.protectorKeys.jwks(tid, { initiatedBy: { user: { id: 'admin' } }, correlationId: 'missing-table' });
    const jwk = jwks.keys[0]!;
    const oid = randomUUID();
    const jwe = craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid });
    const tables = TableServiceClient.fromConnectionString(azurite.connectionString, { allowInsecureConnection: true });
    await tables.deleteTable('AuditEvents');
    try {
      const answer = await timed('decrypt', DECRYPT, await decryptRequest(tid, oid, jwe));
      expect(answer.status).toBe(503);
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      const names: string[] = [];
      for await (const table of tables.listTables()) names.push(table.name ?? '');
      expect(names).not.toContain('AuditEvents');
      expect(names).toContain('ProtectorKeys');
    } finally {
      await tables.createTable('AuditEvents');
    }
  });
});
