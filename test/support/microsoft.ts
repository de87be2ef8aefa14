import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loopbackPassthrough, microsoftHandlers } from '../../shared/dev/microsoft-handlers.js';
import { getSimulation, type MicrosoftSimulation } from '../../shared/dev/simulation.js';

export interface SimulatedMicrosoft {
  server: SetupServer;
  simulation: MicrosoftSimulation;
}

/**
 * Answers Entra ID and Graph from the development-mode simulation (the same handlers the local host
 * uses). Per-test failures: `server.use(...)`; handlers are reset after each test. Any request that
 * is neither loopback nor simulated fails the test.
 */
export function useSimulatedMicrosoft(): SimulatedMicrosoft {
  const simulation = getSimulation();
  // The simulation first: the development authority lives on loopback (the service's own base URL).
  const server = setupServer(...microsoftHandlers(simulation), loopbackPassthrough);
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return { server, simulation };
}
