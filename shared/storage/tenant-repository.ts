import type { TableClient } from '@azure/data-tables';
import type { TenantRecord, Versioned } from '../domain/tenant.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/** Table `Tenants`: one row per tenant (PartitionKey = tenant id, RowKey = `tenant`). */
const ROW_KEY = 'tenant';

interface TenantEntity {
  partitionKey: string;
  rowKey: string;
  onboardingState: string;
  displayName?: string;
  verifiedDomains?: string;
  tenantType?: string;
  organizationCreatedDateTime?: string;
  serviceApplication: string;
  clientApplication: string;
  lastVerifiedDateTime?: string;
  failure?: string;
  offboardedDateTime?: string;
  createdDateTime: string;
  lastUpdatedDateTime: string;
}

function toEntity(tenant: TenantRecord): TenantEntity {
  return {
    partitionKey: tenant.tenantId,
    rowKey: ROW_KEY,
    onboardingState: tenant.onboardingState,
    displayName: tenant.displayName ?? undefined,
    verifiedDomains: tenant.verifiedDomains ? JSON.stringify(tenant.verifiedDomains) : undefined,
    tenantType: tenant.tenantType ?? undefined,
    organizationCreatedDateTime: tenant.organizationCreatedDateTime ?? undefined,
    serviceApplication: JSON.stringify(tenant.serviceApplication),
    clientApplication: JSON.stringify(tenant.clientApplication),
    lastVerifiedDateTime: tenant.lastVerifiedDateTime ?? undefined,
    failure: tenant.failure ? JSON.stringify(tenant.failure) : undefined,
    offboardedDateTime: tenant.offboardedDateTime ?? undefined,
    createdDateTime: tenant.createdDateTime,
    lastUpdatedDateTime: tenant.lastUpdatedDateTime,
  };
}

function fromEntity(entity: TenantEntity): TenantRecord {
  return {
    tenantId: entity.partitionKey,
    onboardingState: entity.onboardingState as TenantRecord['onboardingState'],
    displayName: entity.displayName ?? null,
    verifiedDomains: entity.verifiedDomains ? JSON.parse(entity.verifiedDomains) : null,
    tenantType: entity.tenantType ?? null,
    organizationCreatedDateTime: entity.organizationCreatedDateTime ?? null,
    serviceApplication: JSON.parse(entity.serviceApplication),
    clientApplication: JSON.parse(entity.clientApplication),
    lastVerifiedDateTime: entity.lastVerifiedDateTime ?? null,
    failure: entity.failure ? JSON.parse(entity.failure) : null,
    offboardedDateTime: entity.offboardedDateTime ?? null,
    createdDateTime: entity.createdDateTime,
    lastUpdatedDateTime: entity.lastUpdatedDateTime,
  };
}

export class TenantRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.tenants);
  }

  async get(tenantId: string): Promise<Versioned<TenantRecord> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<TenantEntity>(tenantId, ROW_KEY));
    return entity ? { value: fromEntity(entity), etag: entity.etag } : undefined;
  }

  /** Create-once: a second create for the same tenant is `Conflict`. */
  async create(tenant: TenantRecord): Promise<Versioned<TenantRecord>> {
    const table = await this.table();
    const response = await storageCall(() => table.createEntity(toEntity(tenant)));
    return { value: tenant, etag: response.etag ?? '' };
  }

  /** Replaces the row only if it still has `etag`; otherwise `PreconditionFailed`. */
  async replace(tenant: TenantRecord, etag: string): Promise<Versioned<TenantRecord>> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity(toEntity(tenant), 'Replace', { etag }));
    return { value: tenant, etag: response.etag ?? '' };
  }
}
