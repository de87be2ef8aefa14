import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

describe('the managed device list filter', () => {
  it('matches a value with quotes and OData syntax in it literally, never as part of the query', async () => {
    const tid = await activateTenant();
    await enrolledDevice(tid, { deviceName: "O'Brien's PC' or RowKey ne '" });
    await enrolledDevice(tid, { deviceName: 'OTHER-PC' });

    const page = await getServices().devices.list(tid, {
      filter: [{ property: 'deviceName', value: "O'Brien's PC' or RowKey ne '" }],
      pageSize: 10,
      continuationToken: undefined,
    });
    expect(page.devices.map((device) => device.deviceName)).toEqual(["O'Brien's PC' or RowKey ne '"]);
    const injected = await getServices().devices.list(tid, {
      filter: [{ property: 'deviceName', value: "x' or deviceName ne 'x" }],
      pageSize: 10,
      continuationToken: undefined,
    });
    expect(injected.devices).toEqual([]);

    const viaRoute = await invoke('GET', "/v1.0/deviceManagement/managedDevices?$filter=deviceName eq 'O''Brien''s PC'' or RowKey ne '''", {
      headers: await helpdeskHeaders(tid),
    });
    expect(viaRoute.status).toBe(200);
    expect(viaRoute.json().value.map((device: { deviceName: string }) => device.deviceName)).toEqual(["O'Brien's PC' or RowKey ne '"]);
  });

  it('refuses a joinType or an audit activity that does not exist with 400, as Graph refuses an unknown enum member', async () => {
    const tid = await activateTenant();
    await enrolledDevice(tid, { deviceName: 'LAPTOP-A', joinType: 'azureADJoined' });
    const headers = await helpdeskHeaders(tid);
    const bogus = await invoke('GET', "/v1.0/deviceManagement/managedDevices?$filter=joinType eq 'bogus'", { headers });
    expect(bogus.status).toBe(400);
    expect(bogus.json().error).toMatchObject({ code: 'Request_BadRequest', message: expect.stringContaining('azureADRegistered') });
    const known = await invoke('GET', "/v1.0/deviceManagement/managedDevices?$filter=joinType eq 'azureADJoined'", { headers });
    expect(known.json().value.map((device: { deviceName: string }) => device.deviceName)).toEqual(['LAPTOP-A']);

    const admin = bearer(await adminToken(tid));
    const audit = await invoke('GET', "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'unknownActivity'", { headers: admin });
    expect(audit.status).toBe(400);
    expect(audit.json().error).toMatchObject({ code: 'Request_BadRequest', message: expect.stringContaining('protectorDecrypt') });
    expect((await invoke('GET', "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'deviceEnrolled'", { headers: admin })).status).toBe(200);
  });

  it('combines several clauses with and, each on its own property', async () => {
    const tid = await activateTenant();
    const { response } = await enrolledDevice(tid, { deviceName: 'LAPTOP-A', joinType: 'azureADRegistered' });
    await enrolledDevice(tid, { deviceName: 'LAPTOP-A', joinType: 'azureADJoined' });
    const page = await getServices().devices.list(tid, {
      filter: [
        { property: 'deviceName', value: 'LAPTOP-A' },
        { property: 'joinType', value: 'azureADRegistered' },
        { property: 'userId', value: response.json().userId },
      ],
      pageSize: 10,
      continuationToken: undefined,
    });
    expect(page.devices.map((device) => device.id)).toEqual([response.json().id]);
  });
});
