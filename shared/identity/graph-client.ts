import type { VerifiedDomain } from '../domain/tenant.js';
import type { AppTokenProvider } from './app-token-provider.js';
import { GraphError, fetchWithRetry, type RetryPolicy } from './http-retry.js';

export interface GraphServicePrincipal {
  id: string;
  appId: string;
  displayName: string | null;
}

export interface GraphOrganization {
  id: string;
  displayName: string | null;
  verifiedDomains: VerifiedDomain[];
  tenantType: string | null;
  createdDateTime: string | null;
}

/** What onboarding needs from Microsoft Graph, app-only, in a customer tenant. */
export interface DirectoryReader {
  /** The app's service principal in the tenant, or undefined when Graph says 404 (never consented or deleted). */
  servicePrincipal(tenantId: string, appId: string): Promise<GraphServicePrincipal | undefined>;
  organization(tenantId: string): Promise<GraphOrganization>;
}

export class GraphClient implements DirectoryReader {
  constructor(private readonly options: { graphHost: string; tokens: AppTokenProvider; retry: RetryPolicy }) {}

  async servicePrincipal(tenantId: string, appId: string): Promise<GraphServicePrincipal | undefined> {
    // appId comes from configuration (validated GUIDs), never from a request.
    const response = await this.get(tenantId, `/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')?$select=id,appId,displayName`);
    if (response.status === 404) return undefined;
    const body = (await this.ok(response)) as Partial<GraphServicePrincipal>;
    if (typeof body.id !== 'string') throw new GraphError('unavailable', 'Graph answered a service principal without an id.');
    return { id: body.id, appId: String(body.appId ?? appId), displayName: body.displayName ?? null };
  }

  async organization(tenantId: string): Promise<GraphOrganization> {
    const response = await this.get(tenantId, '/v1.0/organization?$select=id,displayName,verifiedDomains,tenantType,createdDateTime');
    const body = (await this.ok(response)) as { value?: Partial<GraphOrganization>[] };
    const organization = body.value?.find((entry) => entry.id?.toLowerCase() === tenantId.toLowerCase());
    if (!organization) throw new GraphError('accessDenied', 'Graph did not answer the organization of this tenant.');
    return {
      id: tenantId,
      displayName: organization.displayName ?? null,
      verifiedDomains: organization.verifiedDomains ?? [],
      tenantType: organization.tenantType ?? null,
      createdDateTime: organization.createdDateTime ?? null,
    };
  }

  private async get(tenantId: string, path: string): Promise<Response> {
    const token = await this.options.tokens.graphToken(tenantId);
    return fetchWithRetry(
      `https://${this.options.graphHost}${path}`,
      { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } },
      this.options.retry,
    );
  }

  private async ok(response: Response): Promise<unknown> {
    if (response.status === 401 || response.status === 403) {
      throw new GraphError('accessDenied', `Microsoft Graph refused the service app (${response.status}); grant admin consent to its Graph permissions.`);
    }
    if (!response.ok) throw new GraphError('unavailable', `Microsoft Graph answered ${response.status}.`);
    return response.json();
  }
}
