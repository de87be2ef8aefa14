import functions from '@azure/functions';
import { HTTP_METHODS } from '../shared/http/route-table.js';
import { lazyRouteHandler, ROUTE_MANIFEST } from './route-manifest.js';
import { TIMERS } from './timers.js';

// Native ESM: @azure/functions is CommonJS, so go through its default export.
const { app } = functions;

app.setup({ enableHttpStream: false });

// Only registration happens at import time (cold start): a route's operations, contract schemas and
// the request pipeline are loaded on its first request.
// Every method is registered on every route so that a wrong method is our Graph-style 405, not the host's 404.
for (const entry of ROUTE_MANIFEST) {
  app.http(entry.name, { route: entry.route, methods: [...HTTP_METHODS], authLevel: 'anonymous', handler: lazyRouteHandler(entry) });
}

for (const timer of TIMERS) {
  app.timer(timer.name, { schedule: timer.schedule, handler: timer.handler });
}

// Development mode under `func start`: answer Microsoft's endpoints from the simulation in this worker.
if (process.env.PINRESET_DEV_MODE?.toLowerCase() === 'true') {
  app.hook.appStart(async () => {
    const { startMicrosoftSimulation } = await import('../shared/dev/interception.js');
    startMicrosoftSimulation();
  });
}
