import { importJWK, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import type { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice } from '../support/devices.js';
import { invoke, type InvokeResult } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

function pending(client: DeviceClient, headers: Record<string, string>): Promise<InvokeResult> {
  return invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers });
}

function expectRefused(response: InvokeResult): void {
  expect(response.status).toBe(401);
  expect(response.json().error.code).toBe('InvalidAuthenticationToken');
  // Every 401 carries the Bearer challenge (docs/api.md), then the DeviceAssertion scheme of device routes.
  expect(response.headers.get('www-authenticate')).toMatch(
    /^Bearer realm="", authorization_uri="[^"]+", client_id="[^"]+"(, error="invalid_token")?, DeviceAssertion realm="http/,
  );
}

describe('Authorization: DeviceAssertion', () => {
  it('accepts a fresh ES256 assertion signed by the enrolled key', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    const response = await pending(client, await deviceHeaders(client));
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ '@odata.context': expect.stringMatching(/\/v1\.0\/\$metadata#devices\('[0-9a-f-]{36}'\)\/pendingActions$/), value: [] });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a replayed assertion (same jti) with 401, also when the replay is concurrent', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    const headers = await deviceHeaders(client);
    expect((await pending(client, headers)).status).toBe(200);
    expectRefused(await pending(client, headers));

    const fresh = await deviceHeaders(client);
    const responses = await Promise.all(Array.from({ length: 10 }, () => pending(client, fresh)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(9);
  });

  it('refuses on a second instance an assertion the first instance accepted (the jti store is shared)', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    const headers = await deviceHeaders(client);
    setServices(new Services(getConfig()));
    expect((await pending(client, headers)).status).toBe(200);
    setServices(new Services(getConfig()));
    expectRefused(await pending(client, headers));
  });

  it('refuses an expired assertion and one issued in the future', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    expectRefused(await pending(client, await deviceHeaders(client, { now: new Date(Date.now() - 10 * 60_000) })));
    expectRefused(await pending(client, await deviceHeaders(client, { now: new Date(Date.now() + 10 * 60_000) })));
  });

  it('refuses an assertion that lives longer than 5 minutes', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    expectRefused(await pending(client, await deviceHeaders(client, { lifetimeSeconds: 301 })));
  });

  it("refuses an assertion signed by another device's key", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    expectRefused(await pending(client, await deviceHeaders(client, { signingKey: other.privateJwk })));
  });

  it('refuses a wrong audience, and iss/sub naming another device', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    expectRefused(await pending(client, await client.headers({ audience: 'https://evil.example.com' })));
    expectRefused(await pending(other, await deviceHeaders(client, { deviceId: other.deviceId! })));
  });

  it('refuses a deleted device', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await getServices().devices.delete(tid, client.deviceId!);
    expectRefused(await pending(client, await deviceHeaders(client)));
  });

  it('refuses assertions without a jti, with another algorithm, or malformed, and a Bearer token on a device route', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    const now = Math.floor(Date.now() / 1000);
    const deviceKey = await importJWK(client.privateJwk, 'ES256');
    const noJti = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(client.deviceId!)
      .setSubject(client.deviceId!)
      .setAudience(getConfig().publicBaseUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(deviceKey);
    expectRefused(await pending(client, { Authorization: `DeviceAssertion ${noJti}` }));
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(client.deviceId!)
      .setSubject(client.deviceId!)
      .setAudience(getConfig().publicBaseUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('x')
      .sign(new Uint8Array(32));
    expectRefused(await pending(client, { Authorization: `DeviceAssertion ${hs256}` }));
    expectRefused(await pending(client, { Authorization: 'DeviceAssertion not.a.jwt' }));
    expectRefused(await pending(client, { Authorization: 'Bearer abc.def.ghi' }));
  });

  it('purges recorded jtis after they expire', async () => {
    const { client } = await enrolledDevice(await activateTenant());
    expect((await pending(client, await deviceHeaders(client))).status).toBe(200);
    const later = new Date(Date.now() + 10 * 60_000);
    expect(await getServices().deviceAssertionJtis.purgeExpired(later)).toBeGreaterThanOrEqual(1);
  });
});
