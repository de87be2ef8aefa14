import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke, type InvokeResult } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';
import type { DeviceClient } from '../support/device-client.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

const STATUS = { canReset: 'DestructiveAndNonDestructive', ngcSet: true, pinRecoveryEnabled: true };

async function reportStatus(client: DeviceClient): Promise<InvokeResult> {
  return invoke('POST', `/v1.0/devices/${client.deviceId}/status`, { headers: await deviceHeaders(client), body: STATUS });
}

async function pendingActions(client: DeviceClient): Promise<InvokeResult> {
  return invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
}

async function offboard(tid: string): Promise<void> {
  const response = await invoke('DELETE', `/v1.0/organization/${tid}/pinResetOnboarding`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(204);
}

function expectNotOnboarded(response: InvokeResult): void {
  expect(response.status).toBe(403);
  const { error } = response.json();
  expect(error.code).toBe('Authorization_RequestDenied');
  expect(error.message).toContain('This tenant is not onboarded');
  expect(response.headers.get('www-authenticate')).toBeNull();
}

describe('devices of an offboarded tenant', () => {
  it('are refused with 403 on status and pendingActions after DELETE pinResetOnboarding, and work again once the tenant is re-onboarded', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await reportStatus(client)).status).toBe(204);
    const reset = await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: await helpdeskHeaders(tid) });
    expect(reset.status).toBe(204);

    await offboard(tid);
    expectNotOnboarded(await reportStatus(client));
    expectNotOnboarded(await pendingActions(client));

    await activateTenant(tid);
    expect((await reportStatus(client)).status).toBe(204);
    const pending = await pendingActions(client);
    expect(pending.status).toBe(200);
    // Offboarding canceled the open action: re-onboarding does not deliver its passcode.
    expect(pending.json()).toEqual({ '@odata.context': expect.stringMatching(/pendingActions$/), value: [] });
  });

  it('still get 401 for an invalid assertion: only a genuine one learns the tenant is not onboarded', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    await offboard(tid);
    const forged = await invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, {
      headers: await deviceHeaders(client, { signingKey: other.privateJwk }),
    });
    expect(forged.status).toBe(401);
    expect(forged.json().error.code).toBe('InvalidAuthenticationToken');
  });

  it("cannot read the protector keys, nor can the tenant's users, and enrolment is refused", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const keysPath = `/v1.0/organization/${tid}/pinResetProtectorKeys`;
    expect((await invoke('GET', keysPath, { headers: await deviceHeaders(client) })).status).toBe(200);

    await offboard(tid);
    expectNotOnboarded(await invoke('GET', keysPath, { headers: await deviceHeaders(client) }));
    expectNotOnboarded(await invoke('GET', keysPath, { headers: bearer(await userToken({ tid })) }));
    expectNotOnboarded(await invoke('POST', '/v1.0/me/managedDevices', { headers: bearer(await userToken({ tid })), body: client.enrollment() }));
  });
});
