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
/** A user of the simulated directory: who signs in on the development authority's pages. */
export interface SimulatedUser {
  /** Object id (`oid`). */
  id: string;
  tenantId: string;
  displayName: string;
  userPrincipalName: string;
  /** Directory role template ids (`wids`). */
  directoryRoles: string[];
  /** App roles of the PIN reset service app (`roles`), e.g. PinReset.Administrator. */
  appRoles: string[];
  /** Client ids this user consented to (delegated, for themselves). */
  consentedClientIds: string[];
}

export interface NewUser {
  tenantId: string;
  displayName: string;
  userPrincipalName: string;
  directoryRoles?: readonly string[];
  appRoles?: readonly string[];
}

/** What consent and sign-in changed in the directory (tenants themselves are derived from their ids). */
export interface DirectorySnapshot {
  servicePrincipals: (SimulatedServicePrincipal & { tenantId: string })[];
  users?: SimulatedUser[];
}

const MAX_USERS = 10_000;

export class SimulatedDirectory {
  private readonly tenants = new Map<string, SimulatedTenant>();
  private readonly users = new Map<string, SimulatedUser>();
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

  /** Users of one tenant, or of every tenant (sign-in at `organizations`/`common`), by UPN. */
  listUsers(tenantId?: string): SimulatedUser[] {
    const wanted = tenantId?.toLowerCase();
    return [...this.users.values()]
      .filter((user) => wanted === undefined || user.tenantId === wanted)
      .sort((a, b) => a.userPrincipalName.localeCompare(b.userPrincipalName));
  }

  user(id: string): SimulatedUser | undefined {
    return this.users.get(id.toLowerCase());
  }

  /**
   * Creates a user, or updates the name and roles of the user with that UPN in that tenant (a
   * developer editing the directory); its object id stays.
   */
  saveUser(input: NewUser): SimulatedUser {
    const tenantId = this.tenant(input.tenantId).id;
    const upn = input.userPrincipalName.trim().toLowerCase();
    const existing = [...this.users.values()].find((user) => user.tenantId === tenantId && user.userPrincipalName === upn);
    if (!existing && this.users.size >= MAX_USERS) throw new Error('The simulated directory holds too many users.');
    const user: SimulatedUser = {
      id: existing?.id ?? randomUUID(),
      tenantId,
      displayName: input.displayName.trim() || upn,
      userPrincipalName: upn,
      directoryRoles: [...new Set((input.directoryRoles ?? []).map((role) => role.toLowerCase()))],
      appRoles: [...new Set(input.appRoles ?? [])],
      consentedClientIds: existing?.consentedClientIds ?? [],
    };
    this.users.set(user.id, user);
    this.onChange?.();
    return user;
  }

  /** A user consenting for themselves to a client app signing them in. */
  grantUserConsent(userId: string, clientId: string): void {
    const user = this.users.get(userId.toLowerCase());
    if (!user || user.consentedClientIds.includes(clientId.toLowerCase())) return;
    user.consentedClientIds = [...user.consentedClientIds, clientId.toLowerCase()];
    this.onChange?.();
  }

  snapshot(): DirectorySnapshot {
    return {
      servicePrincipals: [...this.tenants.values()].flatMap((tenant) => [...tenant.servicePrincipals.values()].map((sp) => ({ tenantId: tenant.id, ...sp }))),
      users: [...this.users.values()],
    };
  }

  restore(snapshot: DirectorySnapshot): void {
    for (const { tenantId, ...servicePrincipal } of snapshot.servicePrincipals) {
      this.tenant(tenantId).servicePrincipals.set(servicePrincipal.appId.toLowerCase(), servicePrincipal);
    }
    for (const user of snapshot.users ?? []) {
      this.tenant(user.tenantId);
      this.users.set(user.id.toLowerCase(), { ...user, consentedClientIds: user.consentedClientIds ?? [] });
    }
  }
}
