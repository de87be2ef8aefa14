/**
 * Where the service's CPU goes per decrypt (rate limits and audit on, direct invoke, 16 in flight):
 * `node dist/test/bench/profile-decrypt.js <file>.cpuprofile` profiles the measured run only (not the
 * setup), then `node dist/test/bench/profile-summary.js <file>.cpuprofile` groups self time by
 * package/module.
 * Not part of `npm run bench` (a profiler slows what it measures).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getSimulation } from '../../shared/dev/simulation.js';
import { loadConfig } from '../../shared/config.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { Services } from '../../shared/wiring.js';
import { activeTenant, handlerThroughput, inServiceEnvironment, LIMITS_ON, usersOf } from './decrypt.js';
import { RawRsa } from './raw-rsa.js';
import { startBenchService } from './service-process.js';

const storage = await startBenchService();
try {
  const result = await inServiceEnvironment(storage, async () => {
    const config = loadConfig({ ...process.env, ...LIMITS_ON });
    const counter = new TableTransactionCounter();
    const services = new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }) });
    const tenant = await activeTenant(services);
    const users = await usersOf(tenant, 6_000, async (claims) => (await getSimulation().issueUserToken(claims)).access_token);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const figures = await handlerThroughput(services, counter, users, 6_000, new RawRsa());
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.argv[2] ?? 'decrypt.cpuprofile', JSON.stringify(profile));
    session.disconnect();
    return figures;
  });
  console.log(JSON.stringify(result));
} finally {
  await storage.stop();
}
