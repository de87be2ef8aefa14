import functions from '@azure/functions';
import { createRouteHandler } from '../shared/http/pipeline.js';
import { HTTP_METHODS } from '../shared/http/route-table.js';
import { ROUTES } from './routes.js';
import { TIMERS } from './timers.js';

// Native ESM: @azure/functions is CommonJS, so go through its default export.
const { app } = functions;

app.setup({ enableHttpStream: false });

// Every method is registered on every route so that a wrong method is our Graph-style 405, not the host's 404.
for (const route of ROUTES) {
  app.http(route.name, { route: route.route, methods: [...HTTP_METHODS], authLevel: 'anonymous', handler: createRouteHandler(route) });
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
