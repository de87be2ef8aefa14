import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig, ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import type { ManagedDeviceRecord } from '../../shared/domain/device.js';
import type { UserPrincipal } from '../../shared/identity/principal.js';
import { CountingKekProvider } from '../../shared/keys/counting-kek-provider.js';
import { selectKekProvider } from '../../shared/keys/select-kek-provider.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { Services, getServices, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { helpdeskHeaders } from '../support/devices.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { userPrincipal } from '../support/principals.js';

useSimulatedMicrosoft();

let counter: TableTransactionCounter;
let kek: CountingKekProvider;

beforeEach(() => {
  counter = new TableTransactionCounter();
  kek = new CountingKekProvider(selectKekProvider(getConfig()));
  setServices(new Services(getConfig(), { tables: new TableStore(getConfig().storage, { policies: [counter.policy] }), kek }));
});

/** Runs `work` over `items`, `width` at a time (Azurite is shared with the other test files). */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += width) await Promise.all(items.slice(start, start + width).map(work));
}

/** `count` devices written straight through the repository (enrolment's own cost is not what is measured here). */
async function seedDevices(tid: string, count: number): Promise<ManagedDeviceRecord[]> {
  const { publicJwk } = await DeviceClient.create();
  const now = new Date().toISOString();
  const devices: ManagedDeviceRecord[] = Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    tenantId: tid,
    userId: randomUUID(),
    userPrincipalName: null,
    deviceName: `LAB-${String(index).padStart(4, '0')}`,
    azureADDeviceId: randomUUID(),
    joinType: 'azureADJoined',
    operatingSystem: 'Windows',
    osVersion: '10.0.26100.2894',
    deviceKey: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y },
    enrolledDateTime: now,
    lastSyncDateTime: now,
    canReset: 'DestructiveAndNonDestructive',
    ngcSet: true,
    pinRecoveryEnabled: true,
    protectorKeyId: null,
    latestAction: null,
  }));
  await inBatches(devices, 50, async (device) => expect(await getServices().devices.create(device)).not.toBe(false));
  return devices;
}

function helpdesk(tid: string): UserPrincipal {
  return userPrincipal(tid, randomUUID(), {
    userPrincipalName: 'helpdesk@contoso.example',
    wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator],
    amr: ['pwd', 'mfa'],
  });
}

async function requestResets(tid: string, devices: readonly ManagedDeviceRecord[]): Promise<void> {
  const admin = helpdesk(tid);
  await inBatches(devices, 25, (device) => getServices().passcodeReset.requestReset(tid, device.id, admin, `seed-${device.id}`));
}

async function measured(path: string, headers: Record<string, string>) {
  counter.reset();
  kek.reset();
  const response = await invoke('GET', path, { headers });
  expect(response.status).toBe(200);
  return { body: response.json(), text: response.text, tableTransactions: counter.snapshot(), kekCalls: kek.calls };
}

describe('the managed device list does not fan out', () => {
  it('lists a page of 100 devices with 100 pending passcodes in one Table query and no key-encryption-key call, carrying no passcode', async () => {
    const tid = await activateTenant();
    const devices = await seedDevices(tid, 100);
    kek.reset();
    await requestResets(tid, devices);
    // Each passcode was sealed under its own data key, wrapped by the KEK.
    expect(kek.wraps).toBe(100);
    const headers = await helpdeskHeaders(tid);

    const page = await measured('/v1.0/deviceManagement/managedDevices?$top=100', headers);
    expect(page.body.value).toHaveLength(100);
    for (const device of page.body.value) {
      expect(device.deviceActionResults).toEqual([expect.objectContaining({ actionState: 'pending', passcode: null, errorCode: 0 })]);
    }
    expect(page.tableTransactions.total).toBeLessThanOrEqual(2);
    expect(page.tableTransactions.byKind.query).toBeLessThanOrEqual(2);
    expect(page.tableTransactions).toMatchObject({ total: 1, byKind: { query: 1, read: 0, write: 0, batch: 0 } });
    expect(page.kekCalls).toBe(0);

    // Side by side: the single-device read of one of them decrypts (one KEK unwrap) and audits the reveal.
    const single = await measured(`/v1.0/deviceManagement/managedDevices/${devices[0]!.id}`, headers);
    expect(single.body.deviceActionResults[0].passcode).toEqual(expect.any(String));
    expect(single.kekCalls).toBe(1);
    expect(single.tableTransactions.byKind.query).toBe(1);
  });

  it('pages through 1,000 devices at one query per page of 100 and no key-encryption-key call, with every device once', async () => {
    const tid = await activateTenant();
    const devices = await seedDevices(tid, 1000);
    await requestResets(tid, devices.slice(0, 100));
    const headers = await helpdeskHeaders(tid);
    const seen = new Set<string>();
    let path: string | undefined = '/v1.0/deviceManagement/managedDevices';
    let pages = 0;
    while (path) {
      const page = await measured(path, headers);
      pages += 1;
      expect(page.tableTransactions).toMatchObject({ total: 1, byKind: { query: 1 } });
      expect(page.kekCalls).toBe(0);
      expect(page.text).not.toMatch(/"passcode":"/);
      for (const device of page.body.value) seen.add(device.id);
      const next: string | undefined = page.body['@odata.nextLink'];
      path = next === undefined ? undefined : next.slice(getConfig().publicBaseUrl.length);
    }
    expect(pages).toBe(10);
    expect(seen.size).toBe(1000);
    // $top=999 reads the whole tenant in two pages, still one query each.
    const wide = await measured('/v1.0/deviceManagement/managedDevices?$top=999', headers);
    expect(wide.body.value).toHaveLength(999);
    expect(wide.tableTransactions.total).toBe(1);
  });
});
