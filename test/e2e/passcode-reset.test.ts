import { describe, expect, it } from 'vitest';
import type { Collection, ManagedDevice, PendingAction } from '../../cli/client/types.js';
import { runPasscodeExpiry } from '../../functions/passcode-expiry-timer.js';
import { getConfig } from '../../shared/config.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { checkPin, DEFAULT_PIN_COMPLEXITY, type PinComplexity } from '../../shared/domain/pin-policy.js';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

/** The device's own Windows Hello for Business policy: stricter than the tenant's (7 characters). */
const DEVICE_POLICY: PinComplexity = { ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 7 };

/** The tenant's administrator changes the PIN complexity through the settings API, ETag-guarded. */
async function setTenantComplexity(tid: string, change: Partial<PinComplexity>): Promise<void> {
  const admin = bearer(await adminToken(tid));
  const current = await host.request(`/v1.0/organization/${tid}/pinResetSettings`, { headers: admin });
  expect(current.status).toBe(200);
  const patched = await host.request(`/v1.0/organization/${tid}/pinResetSettings`, {
    method: 'PATCH',
    headers: { ...admin, 'Content-Type': 'application/json', 'If-Match': current.headers.get('etag') ?? '' },
    body: JSON.stringify({ pinComplexity: change }),
  });
  expect(patched.status).toBe(200);
}

describe('Intune-style passcode reset over HTTP', () => {
  it('enrol → status → reset → device refuses a too-short passcode → admin sees why → fixes the policy → done → passcode shown, then erased after 7 days', async () => {
    const tid = await activateTenant();
    const json = { 'Content-Type': 'application/json' };
    const admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator] }));
    // The tenant's settings here allow at most 6 characters: the generated passcode has 6.
    await setTenantComplexity(tid, { pinMinimumLength: 6, pinMaximumLength: 6 });

    // 1. The user enrols the device.
    const device = await DeviceClient.create();
    const enrolment = await host.request('/v1.0/me/managedDevices', {
      method: 'POST',
      headers: { ...bearer(await userToken({ tid })), ...json },
      body: JSON.stringify(device.enrollment({ deviceName: 'CONTOSO-LT-7', joinType: 'azureADJoined' })),
    });
    expect(enrolment.status).toBe(201);
    device.deviceId = (await jsonOf<ManagedDevice>(enrolment)).id;
    const deviceAuth = async () => device.headers({ audience: host.url });

    // 2. The device reports its status.
    const status = await host.request(`/v1.0/devices/${device.deviceId}/status`, {
      method: 'POST',
      headers: { ...(await deviceAuth()), ...json },
      body: JSON.stringify({ canReset: 'DestructiveAndNonDestructive', ngcSet: true, pinRecoveryEnabled: true }),
    });
    expect(status.status).toBe(204);

    // 3. The admin resets the passcode.
    const resetPasscode = () => host.request(`/v1.0/deviceManagement/managedDevices/${device.deviceId}/resetPasscode`, { method: 'POST', headers: admin });
    expect((await resetPasscode()).status).toBe(204);

    // 4. The device fetches the pending action and applies it against its own stricter policy.
    const fetchPending = async () => {
      const response = await host.request(`/v1.0/devices/${device.deviceId}/pendingActions`, { headers: await deviceAuth() });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return (await jsonOf<Collection<PendingAction>>(response)).value;
    };
    const [first] = await fetchPending();
    expect(first!.actionName).toBe('newPasscode');
    expect(first!.passcode).toHaveLength(6);
    const refusal = checkPin(first!.passcode, DEVICE_POLICY);
    expect(refusal?.code).toBe('InvalidPinTooFewCharacters');
    const report = async (actionId: string, body: object) =>
      host.request(`/v1.0/devices/${device.deviceId}/pendingActions/${actionId}/result`, {
        method: 'POST',
        headers: { ...(await deviceAuth()), ...json },
        body: JSON.stringify(body),
      });
    expect((await report(first!.id, { actionState: 'failed', errorCode: refusal!.code })).status).toBe(204);

    // 5. The admin sees `failed` with an explanation of what to change.
    const adminView = async () => {
      const response = await host.request(`/v1.0/deviceManagement/managedDevices/${device.deviceId}`, { headers: admin });
      expect(response.status).toBe(200);
      return jsonOf<ManagedDevice>(response);
    };
    const failedView = await adminView();
    expect(failedView).toMatchObject({ managedDeviceOwnerType: 'company', canReset: 'DestructiveAndNonDestructive' });
    expect(failedView.deviceActionResults?.[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.resetPasscodeActionResult',
      id: first!.id,
      actionName: 'newPasscode',
      actionState: 'failed',
      passcode: null,
      errorCode: 1001,
      errorName: 'InvalidPinTooFewCharacters',
    });
    expect(failedView.deviceActionResults?.[0]?.errorDescription).toContain('align pinMinimumLength');

    // 6. The admin aligns the tenant's policy with the device and resets again; the device applies it.
    await setTenantComplexity(tid, { pinMinimumLength: 7, pinMaximumLength: 127 });
    expect((await resetPasscode()).status).toBe(204);
    const [second] = await fetchPending();
    expect(second!.passcode).toHaveLength(8);
    expect(checkPin(second!.passcode, DEVICE_POLICY)).toBeUndefined();
    expect((await report(second!.id, { actionState: 'done' })).status).toBe(204);

    // 7. The admin sees the passcode.
    const doneView = await adminView();
    expect(doneView.deviceActionResults?.[0]).toMatchObject({ id: second!.id, actionState: 'done', passcode: second!.passcode, errorCode: 0, errorName: null });

    // 8. Seven days later the passcode is null and gone from the table.
    const eightDaysLater = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000 + 60_000);
    setServices(new Services(getConfig(), { clock: () => eightDaysLater }));
    expect((await adminView()).deviceActionResults?.[0]).toMatchObject({ id: second!.id, actionState: 'done', passcode: null });
    await runPasscodeExpiry(getServices(), { tenantId: tid });
    const table = await getServices().tables.table(TABLE_NAMES.devices);
    const raw = await table.getEntity<Record<string, unknown>>(tid, `action|${device.deviceId}|${second!.id}`);
    expect(raw.sealedPasscode).toBeUndefined();
    expect(raw.hasPasscode).toBe(false);
    expect(JSON.stringify(raw)).not.toContain(second!.passcode);
  });
});
