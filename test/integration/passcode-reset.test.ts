import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { runPasscodeExpiry } from '../../functions/passcode-expiry-timer.js';
import { getConfig } from '../../shared/config.js';
import { checkPin, type PinComplexity } from '../../shared/domain/pin-policy.js';
import { defaultTenantSettings } from '../../shared/domain/tenant-settings.js';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant, offboardTenant } from '../support/active-tenant.js';
import type { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice, helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

const DAY = 24 * 60 * 60 * 1000;

async function reset(tid: string, deviceId: string, headers: Record<string, string> = {}) {
  return invoke('POST', `/v1.0/deviceManagement/managedDevices/${deviceId}/resetPasscode`, { headers: { ...(await helpdeskHeaders(tid)), ...headers } });
}

async function adminDevice(tid: string, deviceId: string) {
  const response = await invoke('GET', `/v1.0/deviceManagement/managedDevices/${deviceId}`, { headers: await helpdeskHeaders(tid) });
  expect(response.status).toBe(200);
  return response.json();
}

async function fetchPending(client: DeviceClient) {
  const response = await invoke('GET', `/v1.0/devices/${client.deviceId}/pendingActions`, { headers: await deviceHeaders(client) });
  expect(response.status).toBe(200);
  return response.json().value as { id: string; actionName: string; passcode: string; policy: PinComplexity; startDateTime: string }[];
}

async function report(client: DeviceClient, actionId: string, body: object, asDevice: DeviceClient = client) {
  return invoke('POST', `/v1.0/devices/${asDevice.deviceId}/pendingActions/${actionId}/result`, { headers: await deviceHeaders(asDevice), body });
}

async function actionRows(tid: string) {
  const table = await getServices().tables.table(TABLE_NAMES.devices);
  const rows: Record<string, unknown>[] = [];
  for await (const row of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${tid}' and RowKey ge 'action|' and RowKey lt 'action}'` } }))
    rows.push(row);
  return rows;
}

async function setComplexity(tid: string, pinComplexity: PinComplexity) {
  const services = getServices();
  const existing = await services.tenantSettings.get(tid);
  await services.tenantSettings.save(tid, { ...(existing?.value ?? defaultTenantSettings()), pinComplexity }, existing?.etag, services.clock());
}

describe('POST /v1.0/deviceManagement/managedDevices/{id}/resetPasscode', () => {
  it('creates exactly one action when 50 requests arrive at once: one 204 and 49 × 409', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const headers = await helpdeskHeaders(tid);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers })),
    );
    expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(49);
    expect(conflicts[0]!.json().error.code).toBe('Conflict');
    expect((await actionRows(tid)).filter((row) => row.kind === 'action')).toHaveLength(1);
  });

  it('uses newPasscode for joined and hybrid joined devices and resetPasscode for workplace-registered ones', async () => {
    const tid = await activateTenant();
    for (const [joinType, actionName] of [
      ['azureADJoined', 'newPasscode'],
      ['hybridAzureADJoined', 'newPasscode'],
      ['azureADRegistered', 'resetPasscode'],
    ] as const) {
      const { client } = await enrolledDevice(tid, { joinType });
      expect((await reset(tid, client.deviceId!)).status).toBe(204);
      const device = await adminDevice(tid, client.deviceId!);
      expect(device.deviceActionResults).toHaveLength(1);
      expect(device.deviceActionResults[0]).toMatchObject({
        '@odata.type': '#microsoft.graph.resetPasscodeActionResult',
        actionName,
        actionState: 'pending',
        errorCode: 0,
        errorName: null,
      });
      const [pendingAction] = await fetchPending(client);
      expect(pendingAction!.actionName).toBe(actionName);
    }
  });

  it("generates a passcode that satisfies the tenant's PIN complexity and hands the device that policy", async () => {
    const tid = await activateTenant();
    const policy: PinComplexity = {
      pinMinimumLength: 10,
      pinMaximumLength: 12,
      pinUppercaseCharactersUsage: 'required',
      pinLowercaseCharactersUsage: 'required',
      pinSpecialCharactersUsage: 'required',
      pinDigitsUsage: 'required',
    };
    await setComplexity(tid, policy);
    const { client } = await enrolledDevice(tid);
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
    const [action] = await fetchPending(client);
    expect(action!.policy).toEqual(policy);
    expect(action!.passcode).toHaveLength(10);
    expect(checkPin(action!.passcode, policy)).toBeUndefined();
  });

  it("shows another tenant's admin nothing: 404 for the device, its reset and cancel, an empty list", async () => {
    const tid = await activateTenant();
    const other = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
    const actionId = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0].id;
    const foreign = await helpdeskHeaders(other);
    expect((await invoke('GET', `/v1.0/deviceManagement/managedDevices/${client.deviceId}`, { headers: foreign })).status).toBe(404);
    expect((await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: foreign })).status).toBe(404);
    expect(
      (await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults/${actionId}/cancel`, { headers: foreign })).status,
    ).toBe(404);
    const list = await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: foreign });
    expect(list.status).toBe(200);
    expect(list.json().value).toEqual([]);
  });

  it('refuses a user without a passcode reset role with 403, and accepts Helpdesk and Global administrators', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const plain = await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: bearer(await userToken({ tid })) });
    expect(plain.status).toBe(403);
    expect(plain.json().error.code).toBe('Authorization_RequestDenied');
    expect((await invoke('GET', '/v1.0/deviceManagement/managedDevices', { headers: bearer(await adminToken(tid)) })).status).toBe(200);
  });

  it('answers 404 for an unknown device', async () => {
    const tid = await activateTenant();
    const response = await reset(tid, randomUUID());
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('Request_ResourceNotFound');
  });
});

describe('Idempotency-Key on resetPasscode', () => {
  it('answers the same 204 to the same key and request, without a second action', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const headers = await helpdeskHeaders(tid);
    const call = () =>
      invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers: { ...headers, 'Idempotency-Key': 'reset-42' } });
    const first = await call();
    const second = await call();
    expect(first.status).toBe(204);
    expect(second.status).toBe(204);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await actionRows(tid)).filter((row) => row.kind === 'action')).toHaveLength(1);
    // Without the key, the same request is a 409: an action is pending.
    expect((await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers })).status).toBe(409);
  });

  it('answers 422 when the same key comes with a different request', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    const headers = { ...(await helpdeskHeaders(tid)), 'Idempotency-Key': 'reset-43' };
    expect((await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`, { headers })).status).toBe(204);
    const reused = await invoke('POST', `/v1.0/deviceManagement/managedDevices/${other.deviceId}/resetPasscode`, { headers });
    expect(reused.status).toBe(422);
    expect(reused.json().error.code).toBe('UnprocessableEntity');
  });

  it('forgets a key whose request failed, so the client can retry it', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
    const action = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0];
    const key = { 'Idempotency-Key': 'retry-me' };
    expect((await reset(tid, client.deviceId!, key)).status).toBe(409);
    await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults/${action.id}/cancel`, {
      headers: await helpdeskHeaders(tid),
    });
    expect((await reset(tid, client.deviceId!, key)).status).toBe(204);
  });

  it('answers 422 when the same key comes with a different body, and replays it for the same request (no body, or an empty object)', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const headers = { ...(await helpdeskHeaders(tid)), 'Idempotency-Key': 'reset-44' };
    const path = `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`;
    const json = { 'Content-Type': 'application/json' };
    expect((await invoke('POST', path, { headers })).status).toBe(204);
    for (const body of ['{"reason":"lost"}', '{"reason":', '[]']) {
      const reused = await invoke('POST', path, { headers: { ...headers, ...json }, body });
      expect(reused.status, body).toBe(422);
      expect(reused.json().error.code, body).toBe('UnprocessableEntity');
    }
    for (const body of [undefined, '{}', ' { } ']) {
      const replayed = await invoke('POST', path, { headers: { ...headers, ...json }, ...(body === undefined ? {} : { body }) });
      expect(replayed.status, body).toBe(204);
      expect(replayed.headers.get('idempotent-replayed'), body).toBe('true');
    }
    expect((await actionRows(tid)).filter((row) => row.kind === 'action')).toHaveLength(1);
  });

  it('refuses a malformed key with 400', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await reset(tid, client.deviceId!, { 'Idempotency-Key': 'x'.repeat(256) })).status).toBe(400);
  });
});

describe('actions that take no request body', () => {
  it('refuse malformed JSON (400), another media type (415) and any parameter (400), change nothing, and accept no body or {}', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const headers = await helpdeskHeaders(tid);
    const path = `/v1.0/deviceManagement/managedDevices/${client.deviceId}/resetPasscode`;
    for (const [contentType, body, status, message] of [
      ['application/json', '{"reason":', 400, 'The request body is not valid JSON.'],
      ['application/json', '{"reason":"lost"}', 400, "Unknown property 'reason' in the request body: this operation takes no parameters."],
      ['application/json', '[1]', 400, 'This operation takes no request body: send none, or {}.'],
      ['text/plain', 'reset please', 415, 'The request body must be application/json.'],
    ] as const) {
      const response = await invoke('POST', path, { headers: { ...headers, 'Content-Type': contentType }, body });
      expect(response.status, body).toBe(status);
      expect(response.json().error.message, body).toBe(message);
    }
    expect((await actionRows(tid)).filter((row) => row.kind === 'action')).toHaveLength(0);
    expect((await invoke('POST', path, { headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(204);
    const rotate = await invoke('POST', `/v1.0/organization/${tid}/pinResetProtectorKeys/rotate`, {
      headers: { ...bearer(await adminToken(tid)), 'Content-Type': 'application/json' },
      body: '{"kty":"RSA"}',
    });
    expect(rotate.status).toBe(400);
  });
});

describe('the device side and the action lifecycle', () => {
  it('takes an errorCode of null with done as none (agents that serialize every field send it), and still refuses null with failed', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
    const [action] = await fetchPending(client);
    const refused = await report(client, action!.id, { actionState: 'failed', errorCode: null });
    expect(refused.status).toBe(400);
    expect(refused.json().error.message).toContain("'errorCode'");
    expect((await report(client, action!.id, { actionState: 'done', errorCode: null })).status).toBe(204);
    expect((await adminDevice(tid, client.deviceId!)).deviceActionResults[0]).toMatchObject({ actionState: 'done', errorCode: 0, errorName: null });
  });

  it('moves pending to active on fetch, audits the delivery once (naming the device), and re-delivers the active action until the device reports', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid, { deviceName: 'FRONTDESK-PC' });
    await reset(tid, client.deviceId!);
    const [first] = await fetchPending(client);
    expect((await adminDevice(tid, client.deviceId!)).deviceActionResults[0].actionState).toBe('active');
    const [again] = await fetchPending(client);
    expect(again).toEqual(first);
    const delivered = await getServices().audit.list(tid, { top: 50, activity: 'passcodeResetDelivered' });
    expect(delivered.events).toHaveLength(1);
    // The audit log names the device as enrolled, not only by its id (the admin center and the CLI show the name).
    expect(delivered.events[0]!.initiatedBy).toEqual({ device: { id: client.deviceId, displayName: 'FRONTDESK-PC' } });
    expect(delivered.events[0]!.targetResources[0]).toEqual({ id: client.deviceId, type: 'managedDevice', displayName: 'FRONTDESK-PC' });
    expect((await report(client, first!.id, { actionState: 'done' })).status).toBe(204);
    const done = await getServices().audit.list(tid, { top: 50, activity: 'passcodeResetDone' });
    expect(done.events[0]!.initiatedBy).toEqual({ device: { id: client.deviceId, displayName: 'FRONTDESK-PC' } });
    expect(done.events[0]!.targetResources[0]?.displayName).toBe('FRONTDESK-PC');
    const reported = await invoke('POST', `/v1.0/devices/${client.deviceId}/status`, {
      headers: await deviceHeaders(client),
      body: { canReset: 'DestructiveAndNonDestructive', ngcSet: true, pinRecoveryEnabled: true },
    });
    expect(reported.status).toBe(204);
    const status = await getServices().audit.list(tid, { top: 50, activity: 'deviceStatusReported' });
    expect(status.events.map((event) => event.initiatedBy)).toEqual([{ device: { id: client.deviceId, displayName: 'FRONTDESK-PC' } }]);
  });

  it('records done, keeps the passcode visible to the admin, and answers 409 to a second result', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const [action] = await fetchPending(client);
    expect((await report(client, action!.id, { actionState: 'done' })).status).toBe(204);
    const result = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0];
    expect(result).toMatchObject({ id: action!.id, actionState: 'done', passcode: action!.passcode, errorCode: 0, errorName: null, errorDescription: null });
    const second = await report(client, action!.id, { actionState: 'failed', errorCode: 'InvalidPinTooFewCharacters' });
    expect(second.status).toBe(409);
    expect(await fetchPending(client)).toEqual([]);
  });

  it('answers 404 to a result from another device, and 409 to a result before delivery', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const { client: other } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const actionId = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0].id;
    expect((await report(client, actionId, { actionState: 'done' })).status).toBe(409);
    expect((await report(client, actionId, { actionState: 'done' }, other)).status).toBe(404);
  });

  it('refuses a failed result without errorCode and a done result with one (400)', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const [action] = await fetchPending(client);
    expect((await report(client, action!.id, { actionState: 'failed' })).status).toBe(400);
    expect((await report(client, action!.id, { actionState: 'done', errorCode: 'InvalidPinTooFewCharacters' })).status).toBe(400);
  });

  it('explains an unknown device error code and erases the failed passcode', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const [action] = await fetchPending(client);
    expect((await report(client, action!.id, { actionState: 'failed', errorCode: 'NgcContainerLocked' })).status).toBe(204);
    const result = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0];
    expect(result).toMatchObject({ actionState: 'failed', errorCode: 1, errorName: 'NgcContainerLocked', passcode: null });
    expect(result.errorDescription).toContain('NgcContainerLocked');
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
  });

  it('cancels a pending action (passcode erased, device gets nothing) and answers 409 to cancel a final one', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const actionId = (await adminDevice(tid, client.deviceId!)).deviceActionResults[0].id;
    const cancel = async () =>
      invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults/${actionId}/cancel`, {
        headers: await helpdeskHeaders(tid),
      });
    expect((await cancel()).status).toBe(204);
    expect((await adminDevice(tid, client.deviceId!)).deviceActionResults[0]).toMatchObject({ actionState: 'canceled', passcode: null });
    expect(await fetchPending(client)).toEqual([]);
    expect((await cancel()).status).toBe(409);
    const row = (await actionRows(tid)).find((r) => r.actionId === actionId)!;
    expect(row.sealedPasscode).toBeUndefined();
    expect(
      (
        await invoke('POST', `/v1.0/deviceManagement/managedDevices/${client.deviceId}/deviceActionResults/${randomUUID()}/cancel`, {
          headers: await helpdeskHeaders(tid),
        })
      ).status,
    ).toBe(404);
  });

  it('cancels open actions when the tenant is offboarded', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    await offboardTenant(tid);
    const action = (await getServices().deviceActions.listForDevice(tid, client.deviceId!))[0]!.value;
    expect(action).toMatchObject({ actionState: 'canceled', sealedPasscode: null });
  });
});

describe('7-day passcode visibility', () => {
  it('erases passcodes older than 7 days (timer), fails an action still open then, and audits it', async () => {
    const tid = await activateTenant();
    const { client: done } = await enrolledDevice(tid);
    const { client: stale } = await enrolledDevice(tid);
    for (const client of [done, stale]) await reset(tid, client.deviceId!);
    const [action] = await fetchPending(done);
    await report(done, action!.id, { actionState: 'done' });

    const sixDays = new Date(Date.now() + 6 * DAY);
    setServices(new Services(getConfig(), { clock: () => sixDays }));
    await runPasscodeExpiry(getServices(), { tenantId: tid });
    expect((await adminDevice(tid, done.deviceId!)).deviceActionResults[0].passcode).toBe(action!.passcode);

    const eightDays = new Date(Date.now() + 8 * DAY);
    setServices(new Services(getConfig(), { clock: () => eightDays }));
    const { erased } = await runPasscodeExpiry(getServices(), { tenantId: tid });
    expect(erased).toBeGreaterThanOrEqual(2);
    expect((await adminDevice(tid, done.deviceId!)).deviceActionResults[0]).toMatchObject({ actionState: 'done', passcode: null });
    expect((await adminDevice(tid, stale.deviceId!)).deviceActionResults[0]).toMatchObject({
      actionState: 'failed',
      passcode: null,
      errorCode: 2001,
      errorName: 'PasscodeExpired',
    });
    for (const row of await actionRows(tid)) expect(row.sealedPasscode).toBeUndefined();
    const expired = await getServices().audit.list(tid, { top: 50, activity: 'passcodeResetExpired' });
    expect(expired.events).toHaveLength(2);
    // The device no longer has an open action: a new reset is possible.
    expect((await reset(tid, stale.deviceId!)).status).toBe(204);
  });

  it('hides an expired passcode at read time even before the timer runs, and lets a new reset replace the stale action', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    await reset(tid, client.deviceId!);
    const later = new Date(Date.now() + 7 * DAY + 1000);
    setServices(new Services(getConfig(), { clock: () => later }));
    expect((await adminDevice(tid, client.deviceId!)).deviceActionResults[0].passcode).toBeNull();
    expect((await reset(tid, client.deviceId!)).status).toBe(204);
    const results = (await adminDevice(tid, client.deviceId!)).deviceActionResults;
    expect(results.map((r: { actionState: string }) => r.actionState).sort()).toEqual(['failed', 'pending']);
  });
});

describe('GET /v1.0/deviceManagement/managedDevices', () => {
  it('supports $select, $filter eq, $top and @odata.nextLink paging within the tenant', async () => {
    const tid = await activateTenant();
    const names = ['LAPTOP-A', 'LAPTOP-B', 'LAPTOP-C'];
    const enrolled = [];
    for (const deviceName of names)
      enrolled.push(await enrolledDevice(tid, { deviceName, joinType: deviceName === 'LAPTOP-C' ? 'azureADRegistered' : 'azureADJoined' }));
    const headers = await helpdeskHeaders(tid);

    const selected = await invoke('GET', "/v1.0/deviceManagement/managedDevices?$select=id,deviceName&$filter=deviceName eq 'LAPTOP-B'", { headers });
    expect(selected.json()).toEqual({
      '@odata.context': `${getConfig().publicBaseUrl}/v1.0/$metadata#deviceManagement/managedDevices(id,deviceName)`,
      value: [{ id: enrolled[1]!.client.deviceId, deviceName: 'LAPTOP-B' }],
    });
    const registered = await invoke('GET', "/v1.0/deviceManagement/managedDevices?$filter=joinType eq 'azureADRegistered'", { headers });
    expect(registered.json().value.map((d: { deviceName: string }) => d.deviceName)).toEqual(['LAPTOP-C']);
    const byUser = await invoke('GET', `/v1.0/deviceManagement/managedDevices?$filter=userId eq '${enrolled[0]!.userId.toUpperCase()}'`, { headers });
    expect(byUser.json().value).toHaveLength(1);
    const azureADDeviceId = enrolled[2]!.response.json().azureADDeviceId as string;
    const byAzureADDeviceId = await invoke(
      'GET',
      `/v1.0/deviceManagement/managedDevices?$filter=azureADDeviceId eq '${azureADDeviceId.toUpperCase()}' and joinType eq 'azureADRegistered'`,
      { headers },
    );
    expect(byAzureADDeviceId.json().value.map((d: { deviceName: string }) => d.deviceName)).toEqual(['LAPTOP-C']);

    const seen: string[] = [];
    let next: string | undefined = '/v1.0/deviceManagement/managedDevices?$top=2&$select=deviceName';
    let pages = 0;
    while (next) {
      const page = await invoke('GET', next, { headers });
      expect(page.status).toBe(200);
      const body = page.json();
      seen.push(...body.value.map((d: { deviceName: string }) => d.deviceName));
      next = body['@odata.nextLink'];
      pages += 1;
    }
    expect(seen.sort()).toEqual(names);
    expect(pages).toBe(2);
  });

  it('refuses an unknown $select property and an unsupported filter with 400 Request_BadRequest', async () => {
    const tid = await activateTenant();
    const headers = await helpdeskHeaders(tid);
    const badSelect = await invoke('GET', '/v1.0/deviceManagement/managedDevices?$select=deviceKey', { headers });
    expect(badSelect.status).toBe(400);
    expect(badSelect.json().error.message).toBe("Could not find a property named 'deviceKey' on type 'microsoft.graph.managedDevice'.");
    expect((await invoke('GET', "/v1.0/deviceManagement/managedDevices?$filter=osVersion eq '10'", { headers })).status).toBe(400);
    expect((await invoke('GET', '/v1.0/deviceManagement/managedDevices?$skiptoken=%%%', { headers })).status).toBe(400);
  });
});
