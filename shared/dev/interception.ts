import { setupServer, type SetupServer } from 'msw/node';
import { loopbackPassthrough, microsoftHandlers } from './microsoft-handlers.js';
import { getSimulation } from './simulation.js';

/**
 * Starts answering Microsoft's endpoints from the simulation in this process (development mode).
 * Any other outbound request is an error: the service must not call anything we do not simulate.
 */
export function startMicrosoftSimulation(): SetupServer {
  const server = setupServer(loopbackPassthrough, ...microsoftHandlers(getSimulation()));
  server.listen({ onUnhandledFrame: 'error' });
  return server;
}
