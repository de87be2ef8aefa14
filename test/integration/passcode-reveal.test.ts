import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig, ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { cleanRevealReason, DEVICE_ACTION_ERROR_CODES, MAX_REVEAL_REASON_LENGTH } from '../../shared/domain/device.js';
import { ServiceError } from '../../shared/domain/errors.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import type { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

async function resetAndDeliver(tid: string, client: DeviceClient): Promise<{ id: string; passcode: string }> {
  expect((await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: await helpdeskHeaders(tid) })).status).toBe(
    204,
  );
  const pending = await invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
  expect(pending.status).toBe(200);
  return pending.json().value[0];
}

async function report(client: DeviceClient, actionId: string, body: object) {
  const response = await invoke('POST', `/v1.0/devices/${client.deviceId}/pendingActions/${actionId}/result`, { headers: await deviceHeaders(client), body });
  expect(response.status).toBe(204);
}

async function revealAudit(tid: string) {
  return (await getServices().audit.list(tid, { top: 100, activity: 'passcodeRevealed' })).events;
}

/** A named Helpdesk Administrator, so the reveal can say who. */
async function namedAdmin(tid: string) {
  const oid = randomUUID();
  const userPrincipalName = `helpdesk-${oid.slice(0, 4)}@contoso.example`;
  return { oid, userPrincipalName, headers: bearer(await userToken({ tid, oid, upn: userPrincipalName, wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator] })) };
}

describe('resetPasscodeActionResult.errorCode and errorName', () => {
  it("answers errorCode as Graph's Int32 (0 when none) and the symbolic code in errorName, in the list and the single read", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const action = await resetAndDeliver(tid, client);
    const headers = await helpdeskHeaders(tid);
    const active = (await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers })).json().deviceActionResults[0];
    expect(active).toMatchObject({ actionState: 'active', errorCode: 0, errorName: null });

    // The device's result body is unchanged: errorCode is still the symbolic string there.
    await report(client, action.id, { actionState: 'failed', errorCode: 'InvalidPinTooFewCharacters' });
    const single = (await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers })).json().deviceActionResults[0];
    expect(single).toMatchObject({ actionState: 'failed', errorCode: 1001, errorName: 'InvalidPinTooFewCharacters', passcode: null });
    expect(typeof single.errorCode).toBe('number');
    expect(DEVICE_ACTION_ERROR_CODES.InvalidPinTooFewCharacters).toBe(1001);
    const listed = (await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers })).json().value[0].deviceActionResults;
    expect(listed).toEqual([
      expect.objectContaining({ id: action.id, actionState: 'failed', errorCode: 1001, errorName: 'InvalidPinTooFewCharacters', passcode: null }),
    ]);
    expect(listed[0].errorDescription).toMatch(/pinMinimumLength/);
  });
});

describe('passcode reveal', () => {
  it('never carries a passcode in the list; the single-device read does, audited passcodeRevealed with who, which device and action, and the cleaned reason', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid, { deviceName: 'KIOSK-7' });
    const action = await resetAndDeliver(tid, client);
    await report(client, action.id, { actionState: 'done' });
    const admin = await namedAdmin(tid);

    const list = await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: admin.headers });
    expect(list.json().value[0].deviceActionResults).toEqual([expect.objectContaining({ id: action.id, actionState: 'done', passcode: null })]);
    expect(list.text).not.toContain(action.passcode);
    const history = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults`, { headers: admin.headers });
    expect(history.status).toBe(200);
    expect(history.json().value).toEqual([expect.objectContaining({ id: action.id, passcode: null, passcodeReveals: [] })]);
    expect(await revealAudit(tid)).toEqual([]);

    // Control characters (BEL, DEL, ESC, tab) go; UTF-8 (here "é" and a bidi override U+202E) is decoded, the override removed.
    const reason = `Ticket\u0007 #4711:\t${Buffer.from('café\u202e', 'utf8').toString('latin1')}\u007f user\u001b locked out   `;
    const single = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: { ...admin.headers, 'Reveal-Reason': reason } });
    expect(single.status).toBe(200);
    expect(single.headers.get('cache-control')).toBe('no-store');
    expect(single.json().deviceActionResults[0]).toMatchObject({ id: action.id, passcode: action.passcode });

    const [event, ...others] = await revealAudit(tid);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      activity: 'passcodeRevealed',
      result: 'success',
      resultReason: 'Ticket #4711: café user locked out',
      initiatedBy: { user: { id: admin.oid, userPrincipalName: admin.userPrincipalName } },
      targetResources: [
        { id: client.deviceId, type: 'managedDevice', displayName: 'KIOSK-7' },
        { id: action.id, type: 'deviceAction' },
      ],
    });
    expect(JSON.stringify(event)).not.toContain(action.passcode);

    // The audit route finds it with its activity filter.
    const filtered = await invoke('GET', "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'passcodeRevealed'", { headers: bearer(await adminToken(tid)) });
    expect(filtered.status).toBe(200);
    expect(filtered.json().value.map((row: { activity: string }) => row.activity)).toEqual(['passcodeRevealed']);

    // A read that does not select the action results reveals nothing and audits nothing.
    expect((await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}?$select=id,deviceName`, { headers: admin.headers })).status).toBe(
      200,
    );
    expect(await revealAudit(tid)).toHaveLength(1);
  });

  it('audits a reveal without a reason as such, and reveals nothing once the passcode is erased', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const action = await resetAndDeliver(tid, client);
    const headers = await helpdeskHeaders(tid);
    await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers });
    expect((await revealAudit(tid))[0]).toMatchObject({ activity: 'passcodeRevealed', resultReason: null });
    await report(client, action.id, { actionState: 'failed', errorCode: 'InvalidPinConstantStep' });
    const after = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers });
    expect(after.json().deviceActionResults[0]).toMatchObject({ passcode: null, errorCode: 1005 });
    expect(await revealAudit(tid)).toHaveLength(1);
  });

  it('fails closed with 503 and no passcode when the reveal cannot be audited, and records no reveal', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const action = await resetAndDeliver(tid, client);
    const base = getServices();
    const brokenAudit = {
      record: async () => {
        throw new ServiceError('ServiceUnavailable', 'Storage is temporarily unavailable. Retry later.');
      },
      list: base.audit.list.bind(base.audit),
    };
    setServices(new Services(base.config, { audit: brokenAudit }));
    const headers = await helpdeskHeaders(tid);
    const refused = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.text).not.toContain(action.passcode);
    setServices(base);
    const history = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults`, { headers });
    expect(history.json().value[0]).toMatchObject({ id: action.id, passcodeReveals: [] });
  });

  it("shows the device's user who revealed the passcode and when, through the device's own deviceActionResults", async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const action = await resetAndDeliver(tid, client);
    const own = async () => {
      const response = await invoke('GET', `/v1.0/devices/${client.deviceId}/deviceActionResults`, { headers: await deviceHeaders(client) });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return response.json().value;
    };
    expect((await own())[0]).toMatchObject({ id: action.id, passcode: null, passcodeReveals: [] });

    const first = await namedAdmin(tid);
    const second = await namedAdmin(tid);
    await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: { ...first.headers, 'Reveal-Reason': 'user called' } });
    await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: second.headers });
    const [seen] = await own();
    expect(seen.passcode).toBeNull();
    expect(seen.passcodeReveals).toEqual([
      { revealedDateTime: expect.any(String), revealedBy: { user: { id: first.oid, userPrincipalName: first.userPrincipalName } } },
      { revealedDateTime: expect.any(String), revealedBy: { user: { id: second.oid, userPrincipalName: second.userPrincipalName } } },
    ]);
    // The reason stays in the audit log; the device is told who and when.
    expect(JSON.stringify(seen)).not.toContain('user called');
    // Another device cannot read this device's actions.
    const { client: other } = await enrolledDevice(tid);
    expect((await invoke('GET', `/v1.0/devices/${client.deviceId}/deviceActionResults`, { headers: await deviceHeaders(other) })).status).toBe(404);
  });
});

describe('cleanRevealReason', () => {
  it('removes control and format characters, folds whitespace, bounds the length, and answers null for nothing', () => {
    expect(cleanRevealReason(undefined)).toBeNull();
    expect(cleanRevealReason(' \t\u0000\u200b ')).toBeNull();
    expect(cleanRevealReason('a\u001b[31mb\r\nc\u2028d')).toBe('a [31mb c d');
    expect(Array.from(cleanRevealReason('é'.repeat(500))!)).toHaveLength(MAX_REVEAL_REASON_LENGTH);
  });
});

describe('HEAD, which must be safe', () => {
  it('reveals nothing and delivers nothing: no passcodeRevealed, no passcodeResetDelivered, the action stays pending', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect(
      (await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: await helpdeskHeaders(tid) })).status,
    ).toBe(204);
    const device = await invoke('HEAD', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: await helpdeskHeaders(tid) });
    expect(device.status).toBe(200);
    expect(device.headers.get('cache-control')).toBe('no-store');
    const pending = await invoke('HEAD', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
    expect(pending.status).toBe(200);
    expect(pending.headers.get('cache-control')).toBe('no-store');
    expect(await revealAudit(tid)).toEqual([]);
    expect((await getServices().audit.list(tid, { top: 100, activity: 'passcodeResetDelivered' })).events).toEqual([]);
    const actions = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults`, {
      headers: await helpdeskHeaders(tid),
    });
    expect(actions.json().value.map((action: { actionState: string }) => action.actionState)).toEqual(['pending']);
  });
});
