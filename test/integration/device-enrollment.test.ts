import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, randomTenantId, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

async function enrol(tid: string, body: object, oid = randomUUID()) {
  return invoke('POST', '/v1.0/me/managedDevices', { headers: bearer(await userToken({ tid, oid, upn: 'alice@contoso.com' })), body });
}

describe('POST /v1.0/me/managedDevices', () => {
  it("takes Graph's @odata.type annotation of a managedDevice in the body (Graph clients send it), and refuses another type", async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const annotated = await enrol(tid, { '@odata.type': '#microsoft.graph.managedDevice', ...client.enrollment({ deviceName: 'DESKTOP-ODATA' }) });
    expect(annotated.status).toBe(201);
    expect(annotated.json()).toMatchObject({ deviceName: 'DESKTOP-ODATA' });
    const other = await DeviceClient.create();
    const mistyped = await enrol(tid, { '@odata.type': '#microsoft.graph.user', ...other.enrollment() });
    expect(mistyped.status).toBe(400);
    expect(mistyped.json().error.message).toContain("'@odata.type'");
  });

  it('enrols a joined device as a company-owned managedDevice with a new id distinct from azureADDeviceId', async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const body = client.enrollment({ deviceName: 'DESKTOP-42', joinType: 'azureADJoined' });
    const oid = randomUUID();
    const response = await enrol(tid, body, oid);
    expect(response.status).toBe(201);
    const device = response.json();
    expect(device['@odata.context']).toBe(`${getConfig().publicBaseUrl}/v1.0/$metadata#deviceManagement/managedDevices/$entity`);
    expect(device).toMatchObject({
      deviceName: 'DESKTOP-42',
      userId: oid,
      azureADDeviceId: body.azureADDeviceId,
      joinType: 'azureADJoined',
      managedDeviceOwnerType: 'company',
      operatingSystem: 'Windows',
      canReset: 'Unknown',
    });
    expect(device.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(device.id).not.toBe(body.azureADDeviceId);
    expect(device.lastSyncDateTime).toBe(device.enrolledDateTime);
    expect(device).not.toHaveProperty('deviceKey');
  });

  it('marks a workplace-registered device as personal', async () => {
    const tid = await activateTenant();
    const { response } = await enrolledDevice(tid, { joinType: 'azureADRegistered' });
    expect(response.json().managedDeviceOwnerType).toBe('personal');
  });

  it('updates the record with 200 when the same azureADDeviceId enrols again, replacing the key and never making a twin', async () => {
    const tid = await activateTenant();
    const first = await DeviceClient.create();
    const azureADDeviceId = randomUUID();
    const owner = randomUUID();
    const created = await enrol(tid, first.enrollment({ azureADDeviceId, deviceName: 'OLD-NAME' }), owner);
    expect(created.status).toBe(201);
    const deviceId = created.json().id;

    const second = await DeviceClient.create();
    const again = await enrol(tid, second.enrollment({ azureADDeviceId: azureADDeviceId.toUpperCase(), deviceName: 'NEW-NAME' }), owner);
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ id: deviceId, deviceName: 'NEW-NAME' });

    second.deviceId = deviceId;
    first.deviceId = deviceId;
    expect(
      (
        await invoke('POST', `/v1.0/devices/${deviceId}/status`, {
          headers: await deviceHeaders(second),
          body: { canReset: 'NonDestructiveOnly', ngcSet: true, pinRecoveryEnabled: true },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await invoke('POST', `/v1.0/devices/${deviceId}/status`, {
          headers: await deviceHeaders(first),
          body: { canReset: 'NonDestructiveOnly', ngcSet: true, pinRecoveryEnabled: true },
        })
      ).status,
    ).toBe(401);

    const list = await invoke('GET', `/v1.0/deviceManagement/managedDevices?$filter=azureADDeviceId eq '${azureADDeviceId}'`, {
      headers: await helpdeskHeaders(tid),
    });
    expect(list.json().value).toHaveLength(1);
  });

  it('refuses with 409 another user re-enrolling the device, so that user can never take over its key or its passcodes', async () => {
    const tid = await activateTenant();
    const azureADDeviceId = randomUUID();
    const ownerClient = await DeviceClient.create();
    const created = await enrol(tid, ownerClient.enrollment({ azureADDeviceId }));
    ownerClient.deviceId = created.json().id;
    expect(
      (await invoke('POST', `/v1.0/deviceManagement/managedDevices/${ownerClient.deviceId}/resetPasscode`, { headers: await helpdeskHeaders(tid) })).status,
    ).toBe(204);

    const intruder = await DeviceClient.create();
    const takeover = await enrol(tid, intruder.enrollment({ azureADDeviceId }));
    expect(takeover.status).toBe(409);
    expect(takeover.json().error.code).toBe('Conflict');
    intruder.deviceId = ownerClient.deviceId;
    expect((await invoke('GET', `/v1.0/devices/${ownerClient.deviceId}/pendingActions`, { headers: await deviceHeaders(intruder) })).status).toBe(401);
    const delivered = await invoke('GET', `/v1.0/devices/${ownerClient.deviceId}/pendingActions`, { headers: await deviceHeaders(ownerClient) });
    expect(delivered.status).toBe(200);
    expect(delivered.json().value).toHaveLength(1);
  });

  it('makes exactly one device when the same azureADDeviceId enrols 10 times concurrently', async () => {
    const tid = await activateTenant();
    const azureADDeviceId = randomUUID();
    const clients = await Promise.all(Array.from({ length: 10 }, () => DeviceClient.create()));
    const owner = randomUUID();
    const responses = await Promise.all(clients.map((client) => enrol(tid, client.enrollment({ azureADDeviceId }), owner)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    const list = await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: await helpdeskHeaders(tid) });
    expect(list.json().value).toHaveLength(1);
  });

  it('refuses a private JWK (member d) with 400 naming deviceKey', async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const body = { ...client.enrollment(), deviceKey: { ...client.publicJwk, d: 'c2VjcmV0LXByaXZhdGUtc2NhbGFyLXZhbHVlLTEyMzQ1Njc4OTA' } };
    const response = await enrol(tid, body);
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('BadRequest');
    expect(response.json().error.message).toContain('deviceKey');
    expect(response.text).not.toContain('c2VjcmV0');
  });

  it('refuses keys that are not EC P-256 public keys, or not on the curve', async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    for (const deviceKey of [
      { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
      { ...client.publicJwk, crv: 'P-384' },
      { ...client.publicJwk, y: client.publicJwk.x },
    ]) {
      const response = await enrol(tid, { ...client.enrollment(), deviceKey });
      expect(response.status).toBe(400);
      expect(response.json().error.message).toContain('deviceKey');
    }
  });

  it('refuses an unknown joinType and a non-GUID azureADDeviceId with 400 naming the field', async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const badJoin = await enrol(tid, { ...client.enrollment(), joinType: 'domainJoined' });
    expect(badJoin.status).toBe(400);
    expect(badJoin.json().error.message).toContain('joinType');
    const badId = await enrol(tid, { ...client.enrollment(), azureADDeviceId: 'not-a-guid' });
    expect(badId.status).toBe(400);
    expect(badId.json().error.message).toContain('azureADDeviceId');
  });

  it('refuses enrolment in a tenant that is not onboarded with 403', async () => {
    const client = await DeviceClient.create();
    const response = await enrol(randomTenantId(), client.enrollment());
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('Authorization_RequestDenied');
  });

  it('audits the enrolment', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const page = await getServices().audit.list(tid, { top: 50, activity: 'deviceEnrolled' });
    expect(page.events.some((event) => event.targetResources.some((target) => target.id === client.deviceId))).toBe(true);
  });
});

describe('POST /v1.0/devices/{id}/status', () => {
  it('records canReset, ngcSet, pinRecoveryEnabled and lastSyncDateTime for the admin views', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const response = await invoke('POST', `/v1.0/devices/${client.deviceId}/status`, {
      headers: await deviceHeaders(client),
      body: { canReset: 'DestructiveAndNonDestructive', ngcSet: true, pinRecoveryEnabled: true },
    });
    expect(response.status).toBe(204);
    const device = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: await helpdeskHeaders(tid) });
    expect(device.json().canReset).toBe('DestructiveAndNonDestructive');
    expect(Date.parse(device.json().lastSyncDateTime)).toBeGreaterThan(Date.now() - 60_000);
    const stored = (await getServices().devices.get(tid, client.deviceId!))!.value;
    expect(stored).toMatchObject({ ngcSet: true, pinRecoveryEnabled: true });
  });

  it('refuses a bad canReset value with 400', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const response = await invoke('POST', `/v1.0/devices/${client.deviceId}/status`, {
      headers: await deviceHeaders(client),
      body: { canReset: 'Sometimes', ngcSet: true, pinRecoveryEnabled: true },
    });
    expect(response.status).toBe(400);
    expect(response.json().error.message).toContain('canReset');
  });

  it("answers 404 when a device names another device's id in the route", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    const response = await invoke('POST', `/v1.0/devices/${other.deviceId}/status`, {
      headers: await deviceHeaders(client),
      body: { canReset: 'Unknown', ngcSet: false, pinRecoveryEnabled: false },
    });
    expect(response.status).toBe(404);
  });
});
