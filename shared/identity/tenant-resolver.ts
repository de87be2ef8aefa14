import { isGuid } from '../domain/tenant.js';
import { GraphError, fetchWithRetry, type RetryPolicy } from './http-retry.js';

/**
 * Turns what an admin typed at /onboarding/start (a tenant id or a verified domain) into a tenant id,
 * the way Entra does: the tenant's public OpenID configuration names it in its issuer.
 * Answers undefined for a domain Entra does not know.
 */
export class TenantResolver {
  constructor(private readonly options: { authorityUrl: string; retry: RetryPolicy }) {}

  async resolve(tenantIdOrDomain: string): Promise<string | undefined> {
    if (isGuid(tenantIdOrDomain)) return tenantIdOrDomain.toLowerCase();
    const url = `${this.options.authorityUrl}/${encodeURIComponent(tenantIdOrDomain.toLowerCase())}/v2.0/.well-known/openid-configuration`;
    const response = await fetchWithRetry(url, { headers: { Accept: 'application/json' } }, this.options.retry);
    if (response.status === 400 || response.status === 404) return undefined;
    if (!response.ok) throw new GraphError('unavailable', `The authority answered ${response.status}.`);
    const { issuer } = (await response.json()) as { issuer?: string };
    const tenantId = /\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(issuer ?? '')?.[1];
    return tenantId && isGuid(tenantId) ? tenantId.toLowerCase() : undefined;
  }
}
