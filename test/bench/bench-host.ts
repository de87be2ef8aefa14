/**
 * Child process for the HTTP benchmarks: the local host in development mode (simulated Entra ID),
 * on a free loopback port, against the Azurite named by TABLES_CONNECTION_STRING. Prints `READY <url>`.
 */
import { ROUTES } from '../../functions/routes.js';
import { startMicrosoftSimulation } from '../../shared/dev/interception.js';
import { startLocalHost } from '../../shared/http/local-host.js';

const host = await startLocalHost({ routes: ROUTES, port: Number(process.env.PORT ?? 0) });
startMicrosoftSimulation();
process.stdout.write(`READY ${host.url}\n`);
process.on('SIGTERM', () => void host.close().then(() => process.exit(0)));
