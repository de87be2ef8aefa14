import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { getConfig, loadConfig } from '../../shared/config.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { userPrincipal } from '../support/principals.js';
import { craftJwe } from '../support/protector-client.js';
import { randomTenantId } from '../support/tokens.js';

useSimulatedMicrosoft();
afterEach(() => setServices(undefined));

const ACTOR = { initiatedBy: { user: { id: 'admin-1' } }, correlationId: 'test' };

const caller = userPrincipal;

/** Two instances of the service (two processes in production) with the given key state cache TTL. */
function instances(stateCacheSeconds: string): [Services, Services] {
  const config = () =>
    loadConfig({
      ...process.env,
      PINRESET_DECRYPT_LIMIT_PER_USER: '0',
      PINRESET_DECRYPT_LIMIT_PER_TENANT: '0',
      PINRESET_KEY_STATE_CACHE_SECONDS: stateCacheSeconds,
    });
  return [new Services(config()), new Services(config())];
}

async function protectedFor(services: Services, tid: string, oid: string): Promise<string> {
  const { jwks } = await services.protectorKeys.jwks(tid, ACTOR);
  const jwk = jwks.keys[0]!;
  return craftJwe(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, tid, oid });
}

async function outcome(services: Services, tid: string, oid: string, jwe: string): Promise<string> {
  return services.protectorDecrypt.decrypt(caller(tid, oid), jwe, randomUUID()).then(
    () => 'decrypted',
    (error: { code?: string }) => error.code ?? 'error',
  );
}

describe('decrypt state cache across instances', () => {
  it('refuses at once on another instance after a retire when the state cache is off', async () => {
    const [here, there] = instances('0');
    setServices(here);
    const tid = await activateTenant();
    const oid = randomUUID();
    const jwe = await protectedFor(here, tid, oid);
    expect(await outcome(here, tid, oid, jwe)).toBe('decrypted');
    const { kid } = (await there.protectorKeys.versions(tid))[0]!;
    await there.protectorKeys.rotate(tid, ACTOR);
    await there.protectorKeys.retire(tid, kid, ACTOR);
    expect(await outcome(here, tid, oid, jwe)).toBe('InvalidProtectedSecret');
  });

  it("sees another instance's retire within the TTL, and its own at once", async () => {
    const [here, there] = instances('1');
    setServices(here);
    const tid = await activateTenant();
    const oid = randomUUID();
    const jwe = await protectedFor(here, tid, oid);
    expect(await outcome(here, tid, oid, jwe)).toBe('decrypted');
    const { kid } = (await there.protectorKeys.versions(tid))[0]!;
    await there.protectorKeys.rotate(tid, ACTOR);
    await there.protectorKeys.retire(tid, kid, ACTOR);
    // Documented bound: this instance may still use the key state it read less than a TTL ago.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await outcome(here, tid, oid, jwe)).toBe('InvalidProtectedSecret');
    expect(await outcome(there, tid, oid, jwe)).toBe('InvalidProtectedSecret');

    const again = await protectedFor(here, tid, oid);
    expect(await outcome(here, tid, oid, again)).toBe('decrypted');
    const current = (await here.protectorKeys.versions(tid))[0]!.kid;
    await here.protectorKeys.rotate(tid, ACTOR);
    await here.protectorKeys.retire(tid, current, ACTOR);
    expect(await outcome(here, tid, oid, again)).toBe('InvalidProtectedSecret');
  });

  it('decrypts under a key another instance just made current (a refusal is never decided on cached state)', async () => {
    const [here, there] = instances('60');
    setServices(here);
    const tid = await activateTenant();
    const oid = randomUUID();
    expect(await outcome(here, tid, oid, await protectedFor(here, tid, oid))).toBe('decrypted');
    await there.protectorKeys.rotate(tid, ACTOR);
    const fresh = await protectedFor(there, tid, oid);
    expect(await outcome(here, tid, oid, fresh)).toBe('decrypted');
  });
});

describe('audit batching', () => {
  it('stores each of many concurrent events of one tenant exactly once, newest first', async () => {
    const services = new Services(getConfig());
    const tid = randomTenantId();
    const events = await Promise.all(
      Array.from({ length: 250 }, (_, index) =>
        services.audit.record({
          tenantId: tid,
          activity: 'protectorDecrypt',
          result: 'success',
          initiatedBy: { user: { id: `user-${index}` } },
          correlationId: `corr-${index}`,
        }),
      ),
    );
    const listed = (await services.audit.list(tid, { top: 1000 })).events;
    expect(listed.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
    const times = listed.map((event) => event.activityDateTime);
    expect(times).toEqual([...times].sort().reverse());
  });
});
