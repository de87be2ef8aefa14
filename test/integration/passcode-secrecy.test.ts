import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runPasscodeExpiry } from '../../functions/passcode-expiry-timer.js';
import { getConfig } from '../../shared/config.js';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

useSimulatedMicrosoft();

const captured: string[] = [];
beforeEach(() => {
  setServices(new Services(getConfig()));
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? String(arg)))).join(' '));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('passcode secrecy', () => {
  it('never puts a passcode in logs, audit rows or any plaintext column of any table', async () => {
    const tid = await activateTenant();
    const passcodes: string[] = [];
    const { client: done } = await enrolledDevice(tid);
    const { client: failed } = await enrolledDevice(tid, { joinType: 'azureADRegistered' });
    const { client: canceled } = await enrolledDevice(tid);
    for (const client of [done, failed, canceled]) {
      expect(
        (
          await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, {
            headers: { ...(await helpdeskHeaders(tid)), 'Idempotency-Key': `k-${client.deviceId}` },
          })
        ).status,
      ).toBe(204);
    }
    for (const client of [done, failed]) {
      const pending = await invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
      const [action] = pending.json().value;
      passcodes.push(action.passcode);
      const body = client === done ? { actionState: 'done' } : { actionState: 'failed', errorCode: 'InvalidPinTooFewCharacters' };
      expect(
        (await invoke('POST', `/v1.0/devices/${client.deviceId}/pendingActions/${action.id}/result`, { headers: await deviceHeaders(client), body })).status,
      ).toBe(204);
    }
    const canceledView = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${canceled.deviceId}`, { headers: await helpdeskHeaders(tid) });
    const canceledAction = canceledView.json().deviceActionResults[0];
    passcodes.push(canceledAction.passcode);
    await invoke('POST', `/v1.0/deviceManagement/managedDevices/${canceled.deviceId}/deviceActionResults/${canceledAction.id}/cancel`, {
      headers: await helpdeskHeaders(tid),
    });
    // Admin reads (list and entity) and the expiry sweep log nothing either.
    await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: await helpdeskHeaders(tid) });
    const later = new Date(Date.now() + 8 * 24 * 60 * 60 * 1000);
    setServices(new Services(getConfig(), { clock: () => later }));
    await runPasscodeExpiry(getServices(), { tenantId: tid });

    expect(passcodes).toHaveLength(3);
    for (const passcode of passcodes) expect(passcode).toMatch(/^\S{8}$/);

    const rows: string[] = [];
    for (const name of Object.values(TABLE_NAMES)) {
      const table = await getServices().tables.table(name);
      for await (const row of table.listEntities()) rows.push(JSON.stringify(row));
    }
    expect(rows.some((row) => row.includes(tid))).toBe(true);
    const audit = await getServices().audit.list(tid, { top: 100 });
    expect(audit.events.map((event) => event.activity)).toEqual(
      expect.arrayContaining([
        'passcodeResetRequested',
        'passcodeResetDelivered',
        'passcodeResetDone',
        'passcodeResetFailed',
        'passcodeResetCanceled',
        'passcodeResetExpired',
        'deviceEnrolled',
      ]),
    );
    for (const passcode of passcodes) {
      for (const row of rows) expect(row.includes(passcode), 'a table row holds a passcode in plaintext').toBe(false);
      for (const line of captured) expect(line.includes(passcode), 'a log line holds a passcode').toBe(false);
      expect(JSON.stringify(audit.events).includes(passcode)).toBe(false);
    }
  });
});
