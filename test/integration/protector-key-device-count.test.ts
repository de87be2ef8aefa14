import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { deviceHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { currentKey, decrypt, protect } from '../support/protector-client.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();

let counter: TableTransactionCounter;
beforeEach(() => {
  counter = new TableTransactionCounter();
  setServices(new Services(getConfig(), { tables: new TableStore(getConfig().storage, { policies: [counter.policy] }) }));
});

async function enrol(tid: string, protectorKeyId?: string) {
  const client = await DeviceClient.create();
  const userId = randomUUID();
  const body = { ...client.enrollment(), ...(protectorKeyId ? { protectorKeyId } : {}) };
  const response = await invoke('POST', '/v1.0/me/managedDevices', { headers: bearer(await userToken({ tid, oid: userId })), body });
  expect(response.status).toBe(201);
  client.deviceId = response.json().id;
  return { client, userId, azureADDeviceId: body.azureADDeviceId };
}

async function status(client: DeviceClient, fields: { protectorKeyId?: string; pinRecoveryEnabled?: boolean } = {}) {
  const { pinRecoveryEnabled = true, ...rest } = fields;
  return invoke('POST', `/v1.0/devices/${client.deviceId}/status`, {
    headers: await deviceHeaders(client),
    body: { canReset: pinRecoveryEnabled ? 'DestructiveAndNonDestructive' : 'DestructiveOnly', ngcSet: true, pinRecoveryEnabled, ...rest },
  });
}

async function deviceCounts(tid: string): Promise<Record<string, number>> {
  const response = await invoke('GET', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return Object.fromEntries(response.json().value.map((version: { kid: string; deviceCount: number }) => [version.kid, version.deviceCount]));
}

describe('deviceCount on protector key versions', () => {
  it('counts enrolled devices by the kid their protector was last seen under: at enrolment, on status, after a rotation and on decrypt', async () => {
    const tid = await activateTenant();
    const first = (await currentKey(tid)).kid;
    const a = await enrol(tid, first);
    const b = await enrol(tid);
    expect(await deviceCounts(tid)).toEqual({ [first]: 1 });

    expect((await status(b.client, { protectorKeyId: first })).status).toBe(204);
    expect(await deviceCounts(tid)).toEqual({ [first]: 2 });

    const rotated = await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: bearer(await adminToken(tid)) });
    expect(rotated.status).toBe(200);
    const second = rotated.json().kid as string;
    expect(await deviceCounts(tid)).toEqual({ [second]: 0, [first]: 2 });

    // A re-protected device says so on its next status; a status without the field changes nothing.
    expect((await status(a.client, { protectorKeyId: second })).status).toBe(204);
    expect((await status(b.client)).status).toBe(204);
    expect(await deviceCounts(tid)).toEqual({ [second]: 1, [first]: 1 });

    // A decrypt by b's user, on b (the token's deviceid claim), under the new key moves b.
    const protectedUnderSecond = await protect(await currentKey(tid), { tid, oid: b.userId });
    const token = await userToken({ tid, oid: b.userId, amr: ['pwd', 'mfa'], deviceid: b.azureADDeviceId });
    expect((await decrypt(protectedUnderSecond.jwe, { tid, oid: b.userId, token })).status).toBe(200);
    await expect.poll(() => deviceCounts(tid)).toEqual({ [second]: 2, [first]: 0 });

    // PIN recovery turned off: no protector, under no key. A deleted device is no longer counted.
    expect((await status(a.client, { pinRecoveryEnabled: false })).status).toBe(204);
    expect(await deviceCounts(tid)).toEqual({ [second]: 1, [first]: 0 });
    expect((await invoke('DELETE', `/v1.0/deviceManagement/managedDevices/${b.client.deviceId}`, { headers: bearer(await adminToken(tid)) })).status).toBe(204);
    expect(await deviceCounts(tid)).toEqual({ [second]: 0, [first]: 0 });
  });

  it('reads the counts of every version with one query over the device rows, whatever the number of devices and versions', async () => {
    const tid = await activateTenant();
    const kid = (await currentKey(tid)).kid;
    for (let index = 0; index < 5; index += 1) await enrol(tid, kid);
    await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, { headers: bearer(await adminToken(tid)) });
    const headers = bearer(await adminToken(tid));
    counter.reset();
    const response = await invoke('GET', `/v1.0/organization/${tid}/pinResetProtectorKeys/versions`, { headers });
    expect(response.json().value.map((version: { deviceCount: number }) => version.deviceCount)).toEqual([0, 5]);
    expect(counter.snapshot().byTable.Devices).toBe(1);
  });

  it('refuses a protectorKeyId that is not a kid with 400, at enrolment and on status', async () => {
    const tid = await activateTenant();
    const { client } = await enrol(tid);
    const bad = await status(client, { protectorKeyId: 'not a kid' });
    expect(bad.status).toBe(400);
    const other = await DeviceClient.create();
    const enrolment = await invoke('POST', '/v1.0/me/managedDevices', {
      headers: bearer(await userToken({ tid })),
      body: { ...other.enrollment(), protectorKeyId: "x' or 1 eq 1" },
    });
    expect(enrolment.status).toBe(400);
  });
});
