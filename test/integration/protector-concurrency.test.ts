import { randomUUID } from 'node:crypto';
import { TableServiceClient, TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { craftJwe, currentKey, decrypt, fetchJwks, protect, type Protected } from '../support/protector-client.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();

afterEach(() => {
  setServices(undefined);
  vi.restoreAllMocks();
});

function unlimited(): Services {
  return new Services(loadConfig({ ...process.env, PINRESET_DECRYPT_LIMIT_PER_USER: '0', PINRESET_DECRYPT_LIMIT_PER_TENANT: '0' }));
}

describe('decrypt under concurrent rotation and retirement', () => {
  it('never returns a wrong plaintext while keys rotate and versions retire; only the uniform 400 for retired versions', async () => {
    setServices(unlimited());
    const tid = await activateTenant();
    const admin = bearer(await adminToken(tid));
    const users = Array.from({ length: 4 }, () => randomUUID());
    const tokens = new Map<string, string>(await Promise.all(users.map(async (oid) => [oid, await userToken({ tid, oid, amr: ['mfa'] })] as const)));
    const protectors: { oid: string; kid: string; protected: Protected }[] = [];
    const addProtectors = async () => {
      const current = await currentKey(tid);
      for (const oid of users) protectors.push({ oid, kid: current.kid, protected: await protect(current, { tid, oid }) });
    };
    await addProtectors();
    const retiredKids = new Set<string>();
    const admin$ = (async () => {
      for (let round = 0; round < 3; round += 1) {
        const previous = (await fetchJwks(tid))[0]!.kid;
        expect((await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: admin })).status).toBe(200);
        await addProtectors();
        if (round === 1) {
          retiredKids.add(previous);
          expect((await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions/${previous}/retire`, { headers: admin })).status).toBe(200);
        }
      }
    })();
    const outcomes: { kid: string; status: number; right: boolean; code?: string }[] = [];
    const clients = Array.from({ length: 8 }, async (_, client) => {
      for (let index = 0; index < 12; index += 1) {
        const pick = protectors[(client * 7 + index * 3) % protectors.length]!;
        const response = await decrypt(pick.protected.jwe, { tid, oid: pick.oid, token: tokens.get(pick.oid)! });
        const body = response.json();
        outcomes.push({
          kid: pick.kid,
          status: response.status,
          right: response.status === 200 && body.secret === pick.protected.secret,
          code: body.error?.code,
        });
      }
    });
    await Promise.all([admin$, ...clients]);
    expect(outcomes).toHaveLength(96);
    const wrong = outcomes.filter((outcome) => outcome.status === 200 && !outcome.right);
    expect(wrong).toEqual([]);
    for (const outcome of outcomes.filter((item) => item.status !== 200)) {
      expect(outcome.status).toBe(400);
      expect(outcome.code).toBe('InvalidProtectedSecret');
      expect(retiredKids.has(outcome.kid)).toBe(true);
    }
    // After the dust settles: exactly the retired version fails, every other protector decrypts.
    for (const pick of protectors) {
      const response = await decrypt(pick.protected.jwe, { tid, oid: pick.oid, token: tokens.get(pick.oid)! });
      expect(response.status, pick.kid).toBe(retiredKids.has(pick.kid) ? 400 : 200);
    }
    expect((await getServices().protectorKeys.versions(tid)).filter((version) => version.state === 'active')).toHaveLength(1);
  });
});

describe('secrets never leak', () => {
  it('leaves no protector or private key material in any table row, log line or error body', async () => {
    const output: string[] = [];
    const capture = (...args: unknown[]) => {
      output.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'info').mockImplementation(capture);
    vi.spyOn(console, 'warn').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
    vi.spyOn(console, 'debug').mockImplementation(capture);
    const writeOut = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(String(chunk));
      return writeOut(chunk, ...(rest as []));
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(String(chunk));
      return writeErr(chunk, ...(rest as []));
    });

    setServices(unlimited());
    const tid = await activateTenant();
    const oid = randomUUID();
    const admin = bearer(await adminToken(tid));
    const first = await currentKey(tid);
    const secrets: Protected[] = [await protect(first, { tid, oid }), await protect(first, { tid, oid })];
    const bodies: string[] = [];
    for (const item of secrets) bodies.push((await decrypt(item.jwe, { tid, oid })).text);
    await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: admin });
    const second = await currentKey(tid);
    const third = await protect(second, { tid, oid });
    secrets.push(third);
    bodies.push((await decrypt(third.jwe, { tid, oid })).text);
    bodies.push(
      (
        await decrypt(
          craftJwe(
            second,
            { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: second.kid, tid, oid },
            { plaintext: Buffer.from(third.secret, 'base64').subarray(0, 31) },
          ),
          { tid, oid },
        )
      ).text,
    );
    bodies.push((await decrypt(third.jwe, { tid, oid: randomUUID() })).text);
    // The private keys, as a thief would look for them.
    const material: string[] = [];
    for (const kid of [first.kid, second.kid]) {
      const key = await getServices().protectorKeys.decryptionKey(tid, kid);
      if (!key.ok) throw new Error('key not available');
      const der = key.privateKey.export({ format: 'der', type: 'pkcs8' });
      const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const jwk = key.privateKey.export({ format: 'jwk' });
      material.push(
        der.toString('base64').slice(40, 120),
        der.toString('hex').slice(80, 240),
        pem.split('\n')[3]!,
        jwk.d!.slice(0, 60),
        jwk.p!.slice(0, 60),
        jwk.q!.slice(0, 60),
      );
    }
    for (const item of secrets) {
      const bytes = Buffer.from(item.secret, 'base64');
      material.push(bytes.toString('base64').slice(0, 40), bytes.toString('base64url').slice(0, 40), bytes.toString('hex'));
    }
    await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions/${first.kid}/retire`, { headers: admin });

    const service = TableServiceClient.fromConnectionString(process.env.TABLES_CONNECTION_STRING!, { allowInsecureConnection: true });
    const rows: string[] = [];
    for await (const table of service.listTables()) {
      const client = TableClient.fromConnectionString(process.env.TABLES_CONNECTION_STRING!, table.name!, { allowInsecureConnection: true });
      for await (const entity of client.listEntities()) rows.push(JSON.stringify(entity));
    }
    expect(rows.some((row) => row.includes(tid))).toBe(true);
    const haystacks = { rows: rows.join('\n'), output: output.join('\n'), errorBodies: bodies.slice(3).join('\n') };
    for (const needle of material) {
      for (const [name, haystack] of Object.entries(haystacks)) expect(haystack.includes(needle), `${name} contains key or protector material`).toBe(false);
    }
    // The successful bodies hold the protector by design (to its owner only, no-store).
    expect(bodies[0]).toContain(secrets[0]!.secret);
  });
});
