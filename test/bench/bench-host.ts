/**
 * Child process for the HTTP benchmarks: the local host in development mode (simulated Entra ID),
 * on a free loopback port, against the Azurite named by TABLES_CONNECTION_STRING. Prints `READY <url>`.
 * BENCH_HOST_WORKERS=N (default 1) serves the port from N cluster workers (test/bench/cluster-host.ts).
 * BENCH_SIGNING_JWK (a private JWK) makes it trust development tokens the bench process signed.
 */
import type { JWK } from 'jose';
import { ROUTES } from '../../functions/routes.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { getSimulation } from '../../shared/dev/simulation.js';
import { startClusterHost } from './cluster-host.js';
import { startLocalHost } from '../../shared/http/local-host.js';

const port = Number(process.env.PORT ?? 0);
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
