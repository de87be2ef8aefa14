import type { Organization } from '../contract/organization.js';
import type { TenantRepository } from '../storage/tenant-repository.js';

/**
 * The caller's organization. It exists before onboarding (only `id` is known then): that is how an
 * admin finds the tenant id. The other properties come from Graph during onboarding.
 */
export async function getOrganization(tenants: TenantRepository, tenantId: string): Promise<Organization> {
  const tenant = (await tenants.get(tenantId))?.value;
  return {
    id: tenantId,
    displayName: tenant?.displayName ?? null,
    verifiedDomains: tenant?.verifiedDomains ?? null,
    tenantType: tenant?.tenantType ?? null,
    createdDateTime: tenant?.organizationCreatedDateTime ?? null,
  };
}
