import type { TableClient } from '@azure/data-tables';
import type { Versioned } from '../domain/tenant.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `IdempotencyKeys`: PartitionKey = tenant id, RowKey = a hash of (caller, operation, key).
 * Holds the hash of the request the key was first used with and, once done, its response. Never a
 * secret: only responses without secrets are stored (a 204, for instance).
 */
export interface IdempotencyRecord {
  requestHash: string;
  state: 'inProgress' | 'completed';
  status: number | null;
  body: string | null;
  createdDateTime: string;
}

interface IdempotencyEntity {
  partitionKey: string;
  rowKey: string;
  requestHash: string;
  state: string;
  status?: number;
  body?: string;
  createdDateTime: string;
}

function fromEntity(entity: IdempotencyEntity): IdempotencyRecord {
  return {
    requestHash: entity.requestHash,
    state: entity.state as IdempotencyRecord['state'],
    status: entity.status ?? null,
    body: entity.body ?? null,
    createdDateTime: entity.createdDateTime,
  };
}

function toEntity(tenantId: string, keyHash: string, record: IdempotencyRecord): IdempotencyEntity {
  return {
    partitionKey: tenantId,
    rowKey: keyHash,
    requestHash: record.requestHash,
    state: record.state,
    status: record.status ?? undefined,
    body: record.body ?? undefined,
    createdDateTime: record.createdDateTime,
  };
}

export class IdempotencyRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.idempotencyKeys);
  }

  async get(tenantId: string, keyHash: string): Promise<Versioned<IdempotencyRecord> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<IdempotencyEntity>(tenantId, keyHash));
    return entity ? { value: fromEntity(entity), etag: entity.etag } : undefined;
  }

  /** Create-once: `Conflict` when the key was used already. */
  async create(tenantId: string, keyHash: string, record: IdempotencyRecord): Promise<Versioned<IdempotencyRecord>> {
    const table = await this.table();
    const response = await storageCall(() => table.createEntity(toEntity(tenantId, keyHash, record)));
    return { value: record, etag: response.etag ?? '' };
  }

  async replace(tenantId: string, keyHash: string, record: IdempotencyRecord, etag: string): Promise<Versioned<IdempotencyRecord>> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity(toEntity(tenantId, keyHash, record), 'Replace', { etag }));
    return { value: record, etag: response.etag ?? '' };
  }

  async delete(tenantId: string, keyHash: string): Promise<void> {
    const table = await this.table();
    await readOrUndefined(() => table.deleteEntity(tenantId, keyHash));
  }
}
