import { constants, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { runKeyRotation } from '../../functions/key-rotation-timer.js';
import { KeyVaultKekProvider } from '../../shared/keys/key-vault-kek-provider.js';
import { ProtectorKeyRepository } from '../../shared/storage/protector-key-repository.js';
import { loadConfig } from '../../shared/config.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { activateTenant, offboardTenant } from '../support/active-tenant.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { currentKey, decrypt, fetchJwks, protect, type Jwk } from '../support/protector-client.js';
import { adminToken, bearer, randomTenantId, userToken } from '../support/tokens.js';

const { server } = useSimulatedMicrosoft();

afterEach(() => setServices(undefined));

const keysPath = (tid: string) => `/v1.0/organization/${tid}/pinResetProtectorKeys`;
const SYSTEM = { initiatedBy: { app: { id: 'test', displayName: 'test' } }, correlationId: 'test' };

describe('GET /v1.0/organization/{tid}/pinResetProtectorKeys', () => {
  it('serves the RSA-3072 key created on activation as a JWKS with an RFC 7638 kid, ETag and max-age', async () => {
    const tid = await activateTenant();
    const response = await invoke('GET', keysPath(tid), { headers: bearer(await userToken({ tid })) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=300');
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const { keys } = response.json<{ keys: Jwk[] }>();
    expect(keys).toHaveLength(1);
    const [key] = keys as [Jwk];
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(key).toMatchObject({ kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256', e: 'AQAB' });
    expect(Buffer.from(key.n, 'base64url').length * 8).toBe(3072);
    expect(key.kid).toBe(createHash('sha256').update(`{"e":"${key.e}","kty":"RSA","n":"${key.n}"}`).digest('base64url'));
  });

  it('answers 304 to a matching If-None-Match, and a new ETag with the current key first after a rotation', async () => {
    const tid = await activateTenant();
    const headers = bearer(await userToken({ tid }));
    const first = await invoke('GET', keysPath(tid), { headers });
    const etag = first.headers.get('etag') ?? '';
    const cached = await invoke('GET', keysPath(tid), { headers: { ...headers, 'If-None-Match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect(cached.headers.get('etag')).toBe(etag);
    const rotated = await invoke('POST', `${keysPath(tid)}/rotate`, { headers: bearer(await adminToken(tid)) });
    const after = await invoke('GET', keysPath(tid), { headers: { ...headers, 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.json().keys.map((key: Jwk) => key.kid)).toEqual([rotated.json().kid, first.json().keys[0].kid]);
  });

  it('is 404 for another tenant and 403 for a tenant that is not onboarded', async () => {
    const tid = await activateTenant();
    const other = await invoke('GET', keysPath(randomTenantId()), { headers: bearer(await userToken({ tid })) });
    expect(other.status).toBe(404);
    const stranger = randomTenantId();
    const notOnboarded = await invoke('GET', keysPath(stranger), { headers: bearer(await userToken({ tid: stranger })) });
    expect(notOnboarded.status).toBe(403);
    expect(notOnboarded.json().error.code).toBe('Authorization_RequestDenied');
  });
});

describe('create-once', () => {
  it('makes exactly one active key when many first requests race on two instances', async () => {
    const tid = randomTenantId();
    const base = getServices();
    const instances = [new Services(base.config), new Services(base.config)];
    const pointers = await Promise.all(Array.from({ length: 8 }, (_, index) => instances[index % 2]!.protectorKeys.ensureCurrentKey(tid, SYSTEM)));
    expect(new Set(pointers.map((pointer) => pointer.kid)).size).toBe(1);
    const versions = await base.protectorKeys.versions(tid);
    expect(versions).toEqual([{ kid: pointers[0]!.kid, state: 'active', createdDateTime: expect.any(String) }]);
    expect(await new ProtectorKeyRepository(base.tables).listKeys(tid)).toHaveLength(1);
  });
});

describe('key lifecycle (admin)', () => {
  it('lists versions current first with their states, and refuses non-admins', async () => {
    const tid = await activateTenant();
    const admin = bearer(await adminToken(tid));
    const [original] = await fetchJwks(tid);
    const rotated = (await invoke('POST', `${keysPath(tid)}/rotate`, { headers: admin })).json();
    expect(rotated).toMatchObject({ state: 'active', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const list = await invoke('GET', `${keysPath(tid)}/versions`, { headers: admin });
    expect(list.status).toBe(200);
    expect(list.json().value.map((version: { kid: string; state: string }) => [version.kid, version.state])).toEqual([
      [rotated.kid, 'active'],
      [original!.kid, 'decryptOnly'],
    ]);
    const forbidden = await invoke('GET', `${keysPath(tid)}/versions`, { headers: bearer(await userToken({ tid })) });
    expect(forbidden.status).toBe(403);
  });

  it('retires a decryptOnly version (erasing its sealed private key), refuses the current one with 409 and an unknown one with 404', async () => {
    const tid = await activateTenant();
    const admin = bearer(await adminToken(tid));
    const [original] = await fetchJwks(tid);
    const current = await invoke('POST', `${keysPath(tid)}/versions/${original!.kid}/retire`, { headers: admin });
    expect(current.status).toBe(409);
    await invoke('POST', `${keysPath(tid)}/rotate`, { headers: admin });
    const retired = await invoke('POST', `${keysPath(tid)}/versions/${original!.kid}/retire`, { headers: admin });
    expect(retired.status).toBe(200);
    expect(retired.json()).toMatchObject({ kid: original!.kid, state: 'retired' });
    const row = await new ProtectorKeyRepository(getServices().tables).getKey(tid, original!.kid);
    expect(row?.value).toMatchObject({ state: 'retired', sealed: undefined });
    expect((await fetchJwks(tid)).map((key) => key.kid)).not.toContain(original!.kid);
    expect((await invoke('POST', `${keysPath(tid)}/versions/${'B'.repeat(43)}/retire`, { headers: admin })).status).toBe(404);
    expect((await invoke('POST', `${keysPath(tid)}/versions/not-a-kid/retire`, { headers: admin })).status).toBe(404);
    const audit = await getServices().audit.list(tid, { top: 10, activity: 'protectorKeyRetired' });
    expect(audit.events[0]).toMatchObject({ result: 'success', targetResources: [{ id: original!.kid, type: 'protectorKey' }] });
  });

  it('destroys every key row of the tenant on offboarding', async () => {
    const tid = await activateTenant();
    await invoke('POST', `${keysPath(tid)}/rotate`, { headers: bearer(await adminToken(tid)) });
    const repository = new ProtectorKeyRepository(getServices().tables);
    expect(await repository.listKeys(tid)).toHaveLength(2);
    await offboardTenant(tid);
    expect(await repository.listKeys(tid)).toEqual([]);
    expect(await repository.getCurrent(tid)).toBeUndefined();
  });
});

describe('rotation limits', () => {
  const limited = (interval: string, clock?: Date) =>
    new Services(loadConfig({ ...process.env, PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS: interval }), clock ? { clock: () => clock } : {});

  /** An active tenant whose first key was made `ageMs` ago. */
  async function tenantWithKeyAged(ageMs: number): Promise<string> {
    setServices(new Services(getServices().config, { clock: () => new Date(Date.now() - ageMs) }));
    const tid = await activateTenant();
    setServices(undefined);
    return tid;
  }

  it('answers 429 with Retry-After to a rotation sooner than PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS after the last, and rotates once the interval passed', async () => {
    const tid = await tenantWithKeyAged(3_600_000);
    const headers = bearer(await adminToken(tid));
    setServices(limited('60'));
    const first = await invoke('POST', `${keysPath(tid)}/rotate`, { headers });
    expect(first.status).toBe(200);
    const second = await invoke('POST', `${keysPath(tid)}/rotate`, { headers });
    expect(second.status).toBe(429);
    expect(second.json().error.code).toBe('TooManyRequests');
    expect(second.json().error.message).toContain('60 seconds');
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await getServices().protectorKeys.versions(tid)).map((version) => version.kid)).toEqual([first.json().kid, expect.any(String)]);

    setServices(limited('60', new Date(Date.now() + 61_000)));
    const later = await invoke('POST', `${keysPath(tid)}/rotate`, { headers });
    expect(later.status).toBe(200);
    expect(later.json().kid).not.toBe(first.json().kid);
  });

  it('leaves the scheduled rotation alone: an old key rotates even under a long minimum interval', async () => {
    const tid = await tenantWithKeyAged(366 * 86_400_000);
    const services = limited(String(400 * 86_400));
    const rotated = await services.protectorKeys.rotateDueKeys({ rotationDaysOf: async () => 365, isActive: async (id) => id === tid, correlationId: 'test' });
    expect(rotated).toEqual([tid]);
  });

  it('refuses a rotation with 409 while 20 versions are not retired, and rotates again once one is retired', async () => {
    const tid = await activateTenant();
    const repository = new ProtectorKeyRepository(getServices().tables);
    const [current] = await repository.listKeys(tid);
    const old = Array.from({ length: 19 }, (_, index) => ({
      ...current!,
      kid: randomBytes(32).toString('base64url'),
      state: 'decryptOnly' as const,
      sealed: undefined,
      createdDateTime: new Date(Date.now() - (index + 1) * 86_400_000).toISOString(),
    }));
    await Promise.all(old.map((key) => repository.insertKey(key)));
    const headers = bearer(await adminToken(tid));

    const refused = await invoke('POST', `${keysPath(tid)}/rotate`, { headers });
    expect(refused.status).toBe(409);
    expect(refused.json().error.code).toBe('Conflict');
    expect(refused.json().error.message).toContain('Retire old versions first');
    expect(await repository.listKeys(tid)).toHaveLength(20);

    expect((await invoke('POST', `${keysPath(tid)}/versions/${old[18]!.kid}/retire`, { headers })).status).toBe(200);
    expect((await invoke('POST', `${keysPath(tid)}/rotate`, { headers })).status).toBe(200);
  });
});

describe('scheduled rotation', () => {
  it('rotates a key older than protectorKeyRotationDays once, and leaves younger keys alone', async () => {
    const base = getServices();
    const longAgo = new Date(Date.now() - 366 * 86_400_000);
    setServices(new Services(base.config, { clock: () => longAgo }));
    const old = await activateTenant();
    setServices(undefined);
    const young = await activateTenant();
    const [oldKey] = await fetchJwks(old);
    const [youngKey] = await fetchJwks(young);

    const rotated = await runKeyRotation(getServices());
    expect(rotated).toContain(old);
    expect(rotated).not.toContain(young);
    const versions = await getServices().protectorKeys.versions(old);
    expect(versions.map((version) => version.state)).toEqual(['active', 'decryptOnly']);
    expect(versions[1]?.kid).toBe(oldKey!.kid);
    expect((await fetchJwks(young))[0]?.kid).toBe(youngKey!.kid);
    // The new key is young: a second run does nothing for this tenant.
    expect(await runKeyRotation(getServices())).not.toContain(old);
  });

  it('uses the injected clock: a key is due only once its age reaches the rotation period', async () => {
    const tid = await activateTenant();
    const base = getServices();
    const in364Days = new Date(Date.now() + 364 * 86_400_000);
    const in366Days = new Date(Date.now() + 366 * 86_400_000);
    const onlyMine = async (clock: Date) => {
      const services = new Services(base.config, { clock: () => clock });
      const [current] = await fetchJwks(tid);
      const rotated = await services.protectorKeys.rotateDueKeys({
        rotationDaysOf: async () => 365,
        isActive: async (id) => id === tid,
        correlationId: 'test',
      });
      return { rotated: rotated.includes(tid), before: current!.kid };
    };
    expect((await onlyMine(in364Days)).rotated).toBe(false);
    expect((await onlyMine(in366Days)).rotated).toBe(true);
  });
});

/** A simulated Key Vault: real RSA-OAEP-256 wrap/unwrap with a test key, behind Key Vault's challenge auth. */
function simulatedKeyVault(vault: string, name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const version = randomBytes(16).toString('hex');
  const base = `https://${vault}.vault.azure.net/keys/${name}`;
  const calls: string[] = [];
  const token = 'fake-key-vault-token';
  const unauthorized = () =>
    new HttpResponse(null, {
      status: 401,
      headers: {
        'WWW-Authenticate': 'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"',
      },
    });
  const keyBundle = () => {
    const jwk = publicKey.export({ format: 'jwk' });
    return { key: { kid: `${base}/${version}`, kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e }, attributes: { enabled: true } };
  };
  const handlers = [
    http.get(`${base}/:version?`, ({ request }) => {
      if (request.headers.get('authorization') !== `Bearer ${token}`) return unauthorized();
      calls.push('get');
      return HttpResponse.json(keyBundle());
    }),
    // The SDK posts to keys/<name>/<version>/wrapkey, with an empty version for a versionless key id.
    http.post(new RegExp(`^${base.replace(/[.]/g, '\\.')}/([a-f0-9]*)/(wrapkey|unwrapkey)$`), async ({ request }) => {
      if (request.headers.get('authorization') !== `Bearer ${token}`) return unauthorized();
      const body = (await request.json()) as { alg: string; value: string };
      const [, pathVersion = '', operation = ''] = new URL(request.url).pathname.split('/').slice(2);
      const requestedVersion = pathVersion || version;
      calls.push(`${operation}:${body.alg}:${requestedVersion === version ? 'current' : requestedVersion}`);
      if (body.alg !== 'RSA-OAEP-256' || requestedVersion !== version)
        return HttpResponse.json({ error: { code: 'BadParameter', message: 'no' } }, { status: 400 });
      const value = Buffer.from(body.value, 'base64url');
      const options = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
      if (operation === 'wrapkey')
        return HttpResponse.json({ kid: `${base}/${version}`, value: publicEncrypt({ key: publicKey, ...options }, value).toString('base64url') });
      if (operation === 'unwrapkey')
        return HttpResponse.json({ kid: `${base}/${version}`, value: privateDecrypt({ key: privateKey, ...options }, value).toString('base64url') });
      return HttpResponse.json({ error: { code: 'BadParameter', message: operation } }, { status: 400 });
    }),
  ];
  const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return { handlers, credential, keyId: base, version, calls, privateKey };
}

describe('Azure Key Vault KEK provider', () => {
  it('wraps with RSA-OAEP-256 in the vault, records the versioned kid, and unwraps with exactly that version', async () => {
    const vault = simulatedKeyVault('pinreset-test', 'tenant-key-encryption-key');
    server.use(...vault.handlers);
    const provider = new KeyVaultKekProvider({ keyId: vault.keyId, credential: vault.credential });
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey(dataKey);
    expect(wrapped.kekId).toBe(`${vault.keyId}/${vault.version}`);
    expect(wrapped.wrapped).toHaveLength(384);
    // Really RSA-OAEP-256 under the vault key:
    expect(privateDecrypt({ key: vault.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped.wrapped)).toEqual(dataKey);
    expect(await provider.unwrapKey(wrapped)).toEqual(dataKey);
    expect(vault.calls).toContain('unwrapkey:RSA-OAEP-256:current');
  });

  it('reports an unreachable vault as 503 ServiceUnavailable, never as a client error', async () => {
    const vault = simulatedKeyVault('pinreset-down', 'kek');
    server.use(http.all('https://pinreset-down.vault.azure.net/*', () => HttpResponse.error()));
    const base = getServices();
    setServices(new Services(base.config, { kek: new KeyVaultKekProvider({ keyId: vault.keyId, credential: vault.credential }) }));
    const tid = randomTenantId();
    await base.tenants.create({
      ...(await import('../../shared/domain/tenant.js')).newTenantRecord(tid, { serviceAppId: 'a', clientAppId: 'b' }, new Date()),
      onboardingState: 'active',
    });
    const response = await invoke('GET', keysPath(tid), { headers: bearer(await userToken({ tid })) });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('ServiceUnavailable');
  });

  it('serves the whole protector round trip with tenant keys sealed under the simulated vault', async () => {
    const vault = simulatedKeyVault('pinreset-e2e', 'kek');
    server.use(...vault.handlers);
    const base = getServices();
    // Two instances: one creates the key, the other (cold cache) must unwrap it through the vault.
    setServices(new Services(base.config, { kek: new KeyVaultKekProvider({ keyId: vault.keyId, credential: vault.credential }) }));
    const tid = await activateTenant();
    const oid = randomUUID();
    const { jwe, secret } = await protect(await currentKey(tid), { tid, oid });
    setServices(new Services(base.config, { kek: new KeyVaultKekProvider({ keyId: vault.keyId, credential: vault.credential }) }));
    const response = await decrypt(jwe, { tid, oid });
    expect(response.status).toBe(200);
    expect(response.json().secret).toBe(secret);
    expect(vault.calls.filter((call) => call.startsWith('wrapkey'))).toHaveLength(1);
    expect(vault.calls.filter((call) => call.startsWith('unwrapkey'))).toHaveLength(1);
  });
});
