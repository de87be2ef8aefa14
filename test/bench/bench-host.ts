/**
 * Child process for the HTTP benchmarks: the local host in development mode (simulated Entra ID),
 * on a free loopback port, against the Azurite named by TABLES_CONNECTION_STRING. Prints `READY <url>`.
 * BENCH_HOST_WORKERS=N (default 1) serves the port from N cluster workers (test/bench/cluster-host.ts).
 * BENCH_SIGNING_JWK (a private JWK) makes it trust development tokens the bench process signed.
 * BENCH_COUNT_TABLE_TX=1: every process counts its Table transactions at the table clients' pipeline
 * and prints `TABLE_TX <pid> <total>` on SIGUSR2 (service-process.ts sums them over the tree).
 */
import type { JWK } from 'jose';
import { ROUTES } from '../../functions/routes.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { startClusterHost } from './cluster-host.js';
import { startLocalHost } from '../../shared/http/local-host.js';
import { getConfig } from '../../shared/config.js';
import { TableStore } from '../../shared/storage/table-store.js';
import { TableTransactionCounter } from '../../shared/storage/transaction-counter.js';
import { Services, setServices } from '../../shared/wiring.js';

const port = Number(process.env.PORT ?? 0);

if (process.env.BENCH_COUNT_TABLE_TX === '1') {
  const config = getConfig();
  const counter = new TableTransactionCounter();
  setServices(new Services(config, { tables: new TableStore(config.storage, { policies: [counter.policy] }) }));
  process.on('SIGUSR2', () => process.stdout.write(`TABLE_TX ${process.pid} ${counter.snapshot().total}\n`));
}
const workers = Number(process.env.BENCH_HOST_WORKERS ?? 1);

if (process.env.BENCH_SIGNING_JWK) await getSimulation().signer.usePrivateJwk(JSON.parse(process.env.BENCH_SIGNING_JWK) as JWK);

const host =
  workers > 1
    ? await startClusterHost<JWK>({
        workers,
        // Every worker signs and verifies development tokens with one key.
        init: () => getSimulation().signer.exportPrivateJwk(),
        startWorker: async (signingKey) => {
          await getSimulation().signer.usePrivateJwk(signingKey);
          const worker = await startLocalHost({ routes: ROUTES, port });
          startMicrosoftSimulation();
          return worker;
        },
      })
    : await startLocalHost({ routes: ROUTES, port });
if (workers <= 1) startMicrosoftSimulation();
process.stdout.write(`READY ${host.url}\n`);
process.on('SIGTERM', () => void host.close().then(() => process.exit(0)));
