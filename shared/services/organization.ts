import type { TenantRepository } from '../storage/tenant-repository.js';

/** Graph's organization entity as this service exposes it. */
export interface Organization {
  id: string;
  displayName: string | null;
  verifiedDomains: unknown[] | null;
  tenantType: string | null;
  createdDateTime: string | null;
}

export const ORGANIZATION_PROPERTIES = ['id', 'displayName', 'verifiedDomains', 'tenantType', 'createdDateTime'] as const;

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
