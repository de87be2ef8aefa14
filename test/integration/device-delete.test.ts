import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { odata } from '@azure/data-tables';
import { getConfig } from '../../shared/config.js';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

const STATUS = { canReset: 'NonDestructiveOnly', ngcSet: true, pinRecoveryEnabled: true };

async function enrol(tid: string, oid: string, body: object, deviceid?: string) {
  return invoke('POST', '/v1.0/me/managedDevices', { headers: bearer(await userToken({ tid, oid, ...(deviceid ? { deviceid } : {}) })), body });
}

async function deleteDevice(tid: string, deviceId: string, headers?: Record<string, string>) {
  return invoke('DELETE', `/v1.0/deviceManagement/managedDevices/${deviceId}`, { headers: headers ?? (await helpdeskHeaders(tid)) });
}

async function statusAs(client: DeviceClient) {
  return invoke('POST', `/v1.0/devices/${client.deviceId}/status`, { headers: await deviceHeaders(client), body: STATUS });
}

/** Every Devices row that belongs to the device: in the tenant partition (device, index) and its lookup partition. */
async function deviceRows(tid: string, deviceId: string, azureADDeviceId: string) {
  const table = await getServices().tables.table(TABLE_NAMES.devices);
  const rows: Record<string, unknown>[] = [];
  const filter = odata`(PartitionKey eq ${tid} and (RowKey eq ${`device|${deviceId}`} or RowKey eq ${`aad|${azureADDeviceId}`})) or PartitionKey eq ${`id|${deviceId}`}`;
  for await (const row of table.listEntities({ queryOptions: { filter } })) rows.push(row);
  return rows;
}

describe('DELETE /v1.0/deviceManagement/managedDevices/{id}', () => {
  it('deletes every row of the device, answers 204, audits deviceDeleted, and the device is gone from GET and the list', async () => {
    const tid = await activateTenant();
    const { client, response } = await enrolledDevice(tid, { deviceName: 'RETIRED-1' });
    const azureADDeviceId = response.json().azureADDeviceId;
    expect(await deviceRows(tid, client.deviceId!, azureADDeviceId)).toHaveLength(3);

    const deleted = await deleteDevice(tid, client.deviceId!);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('request-id')).toBeTruthy();

    expect(await deviceRows(tid, client.deviceId!, azureADDeviceId)).toEqual([]);
    const get = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: await helpdeskHeaders(tid) });
    expect(get.status).toBe(404);
    expect(get.json().error.code).toBe('Request_ResourceNotFound');
    const list = await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: await helpdeskHeaders(tid) });
    expect(list.json().value).toEqual([]);

    const audit = await getServices().audit.list(tid, { top: 50, activity: 'deviceDeleted' });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      result: 'success',
      targetResources: [{ id: client.deviceId, type: 'managedDevice', displayName: 'RETIRED-1' }],
    });
    expect(audit.events[0]!.initiatedBy).toHaveProperty('user');
  });

  it("refuses the deleted device's assertions with 401 from then on", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await statusAs(client)).status).toBe(204);
    expect((await deleteDevice(tid, client.deviceId!)).status).toBe(204);

    const status = await statusAs(client);
    expect(status.status).toBe(401);
    expect(status.json().error.code).toBe('InvalidAuthenticationToken');
    expect(status.headers.get('www-authenticate')).toContain('DeviceAssertion');
    const pending = await invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
    expect(pending.status).toBe(401);
  });

  it("lets the real owner enrol a device that another user squatted, once an admin deletes the squatter's record", async () => {
    const tid = await activateTenant();
    const azureADDeviceId = randomUUID();
    const squatter = await DeviceClient.create();
    const squatted = await enrol(tid, randomUUID(), squatter.enrollment({ azureADDeviceId }));
    expect(squatted.status).toBe(201);
    squatter.deviceId = squatted.json().id;

    const owner = await DeviceClient.create();
    const ownerId = randomUUID();
    const lockedOut = await enrol(tid, ownerId, owner.enrollment({ azureADDeviceId }));
    expect(lockedOut.status).toBe(409);
    expect(lockedOut.json().error.code).toBe('Conflict');

    expect((await deleteDevice(tid, squatter.deviceId!)).status).toBe(204);

    const enrolled = await enrol(tid, ownerId, owner.enrollment({ azureADDeviceId }));
    expect(enrolled.status).toBe(201);
    expect(enrolled.json()).toMatchObject({ userId: ownerId, azureADDeviceId });
    expect(enrolled.json().id).not.toBe(squatter.deviceId);
    owner.deviceId = enrolled.json().id;
    expect((await statusAs(owner)).status).toBe(204);
    expect((await statusAs(squatter)).status).toBe(401);
  });

  it("cancels the device's open passcode action, erasing its passcode, and audits passcodeResetCanceled", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect(
      (await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: await helpdeskHeaders(tid) })).status,
    ).toBe(204);

    expect((await deleteDevice(tid, client.deviceId!)).status).toBe(204);

    const actions = await getServices().deviceActions.listForDevice(tid, client.deviceId!);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.value).toMatchObject({ actionState: 'canceled', sealedPasscode: null });
    expect(await getServices().deviceActions.open(tid, client.deviceId!)).toBeUndefined();
    const canceled = await getServices().audit.list(tid, { top: 50, activity: 'passcodeResetCanceled' });
    expect(canceled.events).toHaveLength(1);
    expect(canceled.events[0]!.targetResources[0]).toMatchObject({ id: client.deviceId, type: 'managedDevice' });
  });

  it('cancels nothing and audits no cancellation when the device has no open action', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await deleteDevice(tid, client.deviceId!)).status).toBe(204);
    expect((await getServices().audit.list(tid, { top: 50, activity: 'passcodeResetCanceled' })).events).toEqual([]);
  });

  it("answers 404 for another tenant's device and leaves that device working", async () => {
    const tid = await activateTenant();
    const other = await activateTenant();
    const { client } = await enrolledDevice(tid);

    const response = await deleteDevice(other, client.deviceId!);
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('Request_ResourceNotFound');
    expect((await statusAs(client)).status).toBe(204);
    expect((await getServices().audit.list(other, { top: 50, activity: 'deviceDeleted' })).events).toEqual([]);
  });

  it('answers 404 for an unknown device and for a device deleted already', async () => {
    const tid = await activateTenant();
    expect((await deleteDevice(tid, randomUUID())).status).toBe(404);
    const { client } = await enrolledDevice(tid);
    expect((await deleteDevice(tid, client.deviceId!)).status).toBe(204);
    const again = await deleteDevice(tid, client.deviceId!.toUpperCase());
    expect(again.status).toBe(404);
    expect(again.json().error.code).toBe('Request_ResourceNotFound');
  });

  it('refuses a user who is not a passcode administrator with 403 and keeps the device', async () => {
    const tid = await activateTenant();
    const { client, userId } = await enrolledDevice(tid);
    const response = await deleteDevice(tid, client.deviceId!, bearer(await userToken({ tid, oid: userId })));
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('Authorization_RequestDenied');
    expect((await statusAs(client)).status).toBe(204);
  });

  it('refuses a call without a token with 401', async () => {
    const response = await invoke('DELETE', `/v1.0/deviceManagement/managedDevices/${randomUUID()}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('is in the OpenAPI document with its responses', async () => {
    const document = (await invoke('GET', '/openapi.json')).json();
    const operation = document.paths['/v1.0/deviceManagement/managedDevices/{id}'].delete;
    expect(operation.operationId).toBe('deviceManagement_managedDevices_delete');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['204', '404']));
  });
});

describe('enrolment with a token that names its device (deviceid claim)', () => {
  it("refuses with 403 a body whose azureADDeviceId is not the token's deviceid", async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const response = await enrol(tid, randomUUID(), client.enrollment({ azureADDeviceId: randomUUID() }), randomUUID());
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('Authorization_RequestDenied');
    expect(response.json().error.message).toContain("'deviceid' claim");
    const list = await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: await helpdeskHeaders(tid) });
    expect(list.json().value).toEqual([]);
  });

  it("enrols when the token's deviceid is the body's azureADDeviceId, whatever the case", async () => {
    const tid = await activateTenant();
    const azureADDeviceId = randomUUID();
    const client = await DeviceClient.create();
    const response = await enrol(tid, randomUUID(), client.enrollment({ azureADDeviceId: azureADDeviceId.toUpperCase() }), azureADDeviceId);
    expect(response.status).toBe(201);
    expect(response.json().azureADDeviceId).toBe(azureADDeviceId);
  });

  it('lets POST /dev/token put a deviceid claim in the token, and refuses one that is not a GUID', async () => {
    const deviceid = randomUUID();
    const issued = await invoke('POST', '/dev/token', { body: { tid: randomUUID(), oid: randomUUID(), deviceid } });
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.json().access_token).deviceid).toBe(deviceid);

    const bad = await invoke('POST', '/dev/token', { body: { tid: randomUUID(), oid: randomUUID(), deviceid: 'laptop' } });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toContain('deviceid');
  });
});
