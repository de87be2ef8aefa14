import { http, HttpResponse, passthrough, type HttpHandler } from 'msw';
import type { MicrosoftSimulation } from './simulation.js';

/**
 * MSW handlers that make the simulation answer on Microsoft's real URLs (authority JWKS and token
 * endpoint, Microsoft Graph). The service's production code calls those URLs unchanged; the local
 * host in development mode and the tests install these handlers to answer them.
 */

function graphError(status: number, code: string, message: string) {
  return HttpResponse.json({ error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': crypto.randomUUID() } } }, { status });
}

/** The tenant of a simulated app-only Graph token, or undefined if the token is not one we issued. */
async function graphCaller(simulation: MicrosoftSimulation, request: Request): Promise<string | undefined> {
  const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  if (!token) return undefined;
  try {
    const payload = await simulation.signer.verify(token);
    return payload.aud === `https://${simulation.graphHost}` && typeof payload.tid === 'string' ? payload.tid : undefined;
  } catch {
    return undefined;
  }
}

async function answerGraph(simulation: MicrosoftSimulation, request: Request): Promise<Response> {
  const tenantId = await graphCaller(simulation, request);
  if (!tenantId) return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.');
  const url = new URL(request.url);
  const path = decodeURIComponent(url.pathname);
  const tenant = simulation.directory.tenant(tenantId);

  if (path === '/v1.0/organization') {
    return HttpResponse.json({
      '@odata.context': `https://${simulation.graphHost}/v1.0/$metadata#organization`,
      value: [
        { id: tenant.id, displayName: tenant.displayName, tenantType: 'AAD', createdDateTime: tenant.createdDateTime, verifiedDomains: tenant.verifiedDomains },
      ],
    });
  }
  const servicePrincipal = /^\/v1\.0\/servicePrincipals\(appId='([0-9a-fA-F-]{36})'\)$/.exec(path);
  if (servicePrincipal?.[1]) {
    const found = simulation.directory.servicePrincipal(tenantId, servicePrincipal[1]);
    if (!found)
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${servicePrincipal[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return HttpResponse.json({
      '@odata.context': `https://${simulation.graphHost}/v1.0/$metadata#servicePrincipals/$entity`,
      id: found.id,
      appId: found.appId,
      displayName: found.displayName,
      appOwnerOrganizationId: null,
      servicePrincipalType: 'Application',
    });
  }
  return graphError(404, 'Request_ResourceNotFound', `The simulated Graph does not serve ${path}.`);
}

/**
 * Microsoft's endpoints as the simulation answers them: the authority (whatever URL the
 * configuration names, read on each request: tests move the base URL) and Microsoft Graph. Keep these
 * before `loopbackPassthrough`: in development mode the authority is on loopback, and a test that
 * calls the service in-process has no server listening there.
 */
export function microsoftHandlers(simulation: MicrosoftSimulation): HttpHandler[] {
  return [
    http.all(/^https?:\/\//, async ({ request }) => simulation.authority.handleFetch(request)),
    http.all(/^https:\/\/[^/]+\//, ({ request }) => (new URL(request.url).host === simulation.graphHost ? answerGraph(simulation, request) : undefined)),
  ];
}

/** Loopback traffic (Azurite, the local host itself) is real and must not be intercepted. */
export const loopbackPassthrough: HttpHandler = http.all(/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//, () => passthrough());
