/**
 * Every call the service makes to Microsoft's endpoints (Entra JWKS and token endpoint, Graph) goes
 * through `outboundFetch`. In production it is the global fetch; a development-mode host routes it
 * to the simulated Entra ID and Graph instead (shared/dev/interception.ts). Tests leave it alone and
 * intercept the global fetch with MSW.
 */
type Fetch = typeof fetch;

let route: Fetch | undefined;

export function outboundFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return route ? route(input, init) : fetch(input, init);
}

/** Development mode only: send outbound calls to `target` instead of the network. */
export function routeOutboundFetch(target: Fetch | undefined): void {
  route = target;
}
