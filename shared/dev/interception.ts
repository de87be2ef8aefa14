import { getResponse } from 'msw';
import { routeOutboundFetch } from '../outbound-fetch.js';
import { microsoftHandlers } from './microsoft-handlers.js';
import { getSimulation } from './simulation.js';

export interface RunningSimulation {
  close(): void;
}

/**
 * Development mode (local host, func start): the service's calls to Microsoft's endpoints are
 * answered by the same MSW handlers the tests install, resolved in-process. Nothing is patched
 * globally, so Azurite traffic pays no interception cost. A call the simulation does not answer
 * fails: the service must not call anything we do not simulate.
 */
export function startMicrosoftSimulation(): RunningSimulation {
  const handlers = microsoftHandlers(getSimulation());
  routeOutboundFetch(async (input, init) => {
    const request = new Request(input, init);
    const response = await getResponse(handlers, request);
    if (!response) throw new TypeError(`Development mode does not simulate ${request.method} ${new URL(request.url).origin}${new URL(request.url).pathname}`);
    return response;
  });
  return { close: () => routeOutboundFetch(undefined) };
}
