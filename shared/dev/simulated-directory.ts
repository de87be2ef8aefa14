import { createHash, randomUUID } from 'node:crypto';
import type { VerifiedDomain } from '../domain/tenant.js';

export interface SimulatedServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}

export interface SimulatedTenant {
  id: string;
  displayName: string;
  createdDateTime: string;
  verifiedDomains: VerifiedDomain[];
  servicePrincipals: Map<string, SimulatedServicePrincipal>;
}

/**
 * The simulated Entra directory of development mode: any GUID tenant exists on first use, with a
 * display name and an onmicrosoft.com domain derived from its id. Admin consent creates service
 * principals here; the simulated Graph answers from here.
 */
/** What consent changed in the directory (tenants themselves are derived from their ids). */
export interface DirectorySnapshot {
  servicePrincipals: (SimulatedServicePrincipal & { tenantId: string })[];
}

export class SimulatedDirectory {
  private readonly tenants = new Map<string, SimulatedTenant>();
  /** Called after every consent or removal (the local host persists the directory there). */
  onChange: (() => void) | undefined;

  tenant(tenantId: string): SimulatedTenant {
    const id = tenantId.toLowerCase();
    let tenant = this.tenants.get(id);
    if (!tenant) {
      const label = createHash('sha256').update(id).digest('hex').slice(0, 8);
      tenant = {
        id,
        displayName: `Contoso Dev ${label}`,
        createdDateTime: '2024-01-01T00:00:00Z',
        verifiedDomains: [
          { capabilities: 'Email, OfficeCommunicationsOnline', isDefault: true, isInitial: true, name: `contosodev${label}.onmicrosoft.com`, type: 'Managed' },
        ],
        servicePrincipals: new Map(),
      };
      this.tenants.set(id, tenant);
    }
    return tenant;
  }

  /**
   * The tenant id for a GUID or for a verified domain of a tenant the directory already knows
   * (domains are derived from ids, so a domain resolves only once its tenant was used).
   */
  resolve(tenantIdOrDomain: string): string | undefined {
    const value = tenantIdOrDomain.toLowerCase();
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) return this.tenant(value).id;
    for (const tenant of this.tenants.values()) {
      if (tenant.verifiedDomains.some((domain) => domain.name.toLowerCase() === value)) return tenant.id;
    }
    return undefined;
  }

  /** Admin consent: creates the app's service principal in the tenant (idempotent, like Entra). */
  consent(tenantId: string, appId: string, displayName: string): SimulatedServicePrincipal {
    const tenant = this.tenant(tenantId);
    const key = appId.toLowerCase();
    const existing = tenant.servicePrincipals.get(key);
    if (existing) return existing;
    const servicePrincipal = { id: randomUUID(), appId: key, displayName };
    tenant.servicePrincipals.set(key, servicePrincipal);
    this.onChange?.();
    return servicePrincipal;
  }

  /** An admin deleting the enterprise application. */
  removeServicePrincipal(tenantId: string, appId: string): void {
    this.tenant(tenantId).servicePrincipals.delete(appId.toLowerCase());
    this.onChange?.();
  }

  servicePrincipal(tenantId: string, appId: string): SimulatedServicePrincipal | undefined {
    return this.tenant(tenantId).servicePrincipals.get(appId.toLowerCase());
  }

  snapshot(): DirectorySnapshot {
    return {
      servicePrincipals: [...this.tenants.values()].flatMap((tenant) => [...tenant.servicePrincipals.values()].map((sp) => ({ tenantId: tenant.id, ...sp }))),
    };
  }

  restore(snapshot: DirectorySnapshot): void {
    for (const { tenantId, ...servicePrincipal } of snapshot.servicePrincipals) {
      this.tenant(tenantId).servicePrincipals.set(servicePrincipal.appId.toLowerCase(), servicePrincipal);
    }
  }
}
