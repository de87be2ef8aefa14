/**
 * Admin device list (issue 13 goal 4): Table transactions and key-encryption-key calls of one page of
 * 100 devices, with 100 pending passcodes in the tenant, at 100 and 1,000 enrolled devices, next to the
 * single-device read (which reveals a passcode: one KEK call is its baseline). Counted with the shared
 * instruments: TableTransactionCounter on the table clients' pipeline, CountingKekProvider as the KEK.
 * Measures whatever the device list on main does; the handler is invoked directly (no HTTP).
 */
import { randomUUID } from 'node:crypto';
import { generateDeviceKey } from '../../cli/client/device-key.js';
import { ROLE_TEMPLATE_IDS, loadConfig, resetConfigForTests } from '../../shared/config.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { newTenantRecord } from '../../shared/domain/tenant.js';
import { CountingKekProvider } from '../../shared/keys/counting-kek-provider.js';
import { selectKekProvider } from '../../shared/keys/select-kek-provider.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter, type TableTransactionCounts } from '../../shared/storage/transaction-counter.js';
import { Services, setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';
import { printTable, round } from './load.js';
import { startBenchService } from './service-process.js';

const PAGE = 100;
const PENDING = 100;

interface Measured {
  status: number;
  ms: number;
  queries: number;
  transactions: number;
  kekCalls: number;
}

export interface DeviceListFigures {
  /** Table queries and point reads of one page of 100 (1,000 devices in the tenant). */
  queriesPer100: number;
  kekCallsPer100: number;
}

async function pool<T>(count: number, parallel: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

export async function runDeviceListBench(): Promise<DeviceListFigures> {
  const storage = await startBenchService();
  const previousEnv = { ...process.env };
  Object.assign(process.env, {
    PINRESET_DEV_MODE: 'true',
    TABLES_CONNECTION_STRING: storage.connectionString,
    PINRESET_PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
  });
  resetConfigForTests();
  const simulation = startMicrosoftSimulation();
  try {
    const config = loadConfig(process.env);
    const counter = new TableTransactionCounter();
    const kek = new CountingKekProvider(selectKekProvider(config));
    const services = new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }), kek });
    setServices(services);
    const tid = randomUUID();
    await services.tenants.create({
      ...newTenantRecord(tid, { serviceAppId: config.serviceAppId, clientAppId: config.clientAppId }, new Date()),
      onboardingState: 'active',
    });
    for (const listener of services.tenantLifecycleListeners) await listener.onTenantActivated?.(tid, 'bench');
    const helpdesk = {
      Authorization: `Bearer ${(await getSimulation().issueUserToken({ tid, oid: randomUUID(), wids: [ROLE_TEMPLATE_IDS.helpdeskAdministrator] })).access_token}`,
    };

    const enrol = async () => {
      const key = await generateDeviceKey();
      const token = (await getSimulation().issueUserToken({ tid, oid: randomUUID() })).access_token;
      const response = await invoke('POST', '/v1.0/me/managedDevices', {
        headers: { Authorization: `Bearer ${token}` },
        body: {
          deviceName: `BENCH-${randomUUID().slice(0, 6)}`,
          azureADDeviceId: randomUUID(),
          joinType: 'azureADJoined',
          operatingSystem: 'Windows',
          osVersion: '10.0.26100.1',
          deviceKey: key.publicJwk,
        },
      });
      if (response.status !== 201) throw new Error(`enrol: ${response.status} ${response.text}`);
      return response.json<{ id: string }>().id;
    };
    const measure = async (path: string, extra: Record<string, string> = {}): Promise<Measured> => {
      const kekBefore = kek.calls;
      const before = counter.snapshot();
      const started = performance.now();
      const response = await invoke('GET', path, { headers: { ...helpdesk, ...extra } });
      const ms = performance.now() - started;
      const after = counter.snapshot();
      const delta = (kind: keyof TableTransactionCounts['byKind']) => after.byKind[kind] - before.byKind[kind];
      return {
        status: response.status,
        ms,
        queries: delta('query') + delta('read'),
        transactions: after.total - before.total,
        kekCalls: kek.calls - kekBefore,
      };
    };

    const devices = await pool(PENDING, 8, enrol);
    await pool(PENDING, 8, async (index) => {
      const response = await invoke('POST', `/v1.0/deviceManagement/managedDevices/${devices[index]}/resetPasscode`, {
        headers: { ...helpdesk, 'Idempotency-Key': randomUUID() },
        body: {},
      });
      if (response.status >= 300) throw new Error(`resetPasscode: ${response.status} ${response.text}`);
    });
    // Warm every cache once, then measure.
    await measure(`/v1.0/deviceManagement/managedDevices?$top=${PAGE}`);
    const rows: Record<string, string | number>[] = [];
    const row = (path: string, devicesInTenant: number, result: Measured) => ({
      path,
      devices: devicesInTenant,
      status: result.status,
      'table queries+reads': result.queries,
      'table transactions': result.transactions,
      'KEK calls': result.kekCalls,
      ms: round(result.ms, 1),
    });
    const single = await measure(`/v1.0/deviceManagement/managedDevices/${devices[0]}`, { 'Reveal-Reason': 'bench' });
    const page100 = await measure(`/v1.0/deviceManagement/managedDevices?$top=${PAGE}`);
    rows.push(row('single-device read (baseline; reveals the passcode)', PENDING, single), row(`list, page of ${PAGE}`, PENDING, page100));
    devices.push(...(await pool(1000 - PENDING, 8, enrol)));
    const page1000 = await measure(`/v1.0/deviceManagement/managedDevices?$top=${PAGE}`);
    rows.push(row(`list, page of ${PAGE}`, devices.length, page1000));
    printTable(`Admin device list (direct invoke; ${PENDING} pending passcodes in the tenant; counted at the table pipeline and the KEK)`, rows);
    return { queriesPer100: page1000.queries, kekCallsPer100: page1000.kekCalls };
  } finally {
    simulation.close();
    setServices(undefined);
    process.env = previousEnv;
    resetConfigForTests();
    await storage.stop();
  }
}
