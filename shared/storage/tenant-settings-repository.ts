import type { TableClient } from '@azure/data-tables';
import type { TenantSettings } from '../domain/tenant-settings.js';
import type { Versioned } from '../domain/tenant.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/** Table `TenantSettings`: one row per tenant (PartitionKey = tenant id, RowKey = `settings`). */
const ROW_KEY = 'settings';

interface SettingsEntity {
  partitionKey: string;
  rowKey: string;
  settings: string;
  lastUpdatedDateTime: string;
}

export class TenantSettingsRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.tenantSettings);
  }

  /** The stored settings, or undefined when the tenant never saved any (callers apply the defaults). */
  async get(tenantId: string): Promise<Versioned<TenantSettings> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<SettingsEntity>(tenantId, ROW_KEY));
    return entity ? { value: JSON.parse(entity.settings) as TenantSettings, etag: entity.etag } : undefined;
  }

  /**
   * Writes the settings. `etag` undefined = create (Conflict if someone created them meanwhile);
   * otherwise replace only if unchanged (PreconditionFailed on a stale ETag).
   */
  async save(tenantId: string, settings: TenantSettings, etag: string | undefined, now: Date): Promise<Versioned<TenantSettings>> {
    const table = await this.table();
    const entity: SettingsEntity = { partitionKey: tenantId, rowKey: ROW_KEY, settings: JSON.stringify(settings), lastUpdatedDateTime: now.toISOString() };
    const response = await storageCall(() => (etag === undefined ? table.createEntity(entity) : table.updateEntity(entity, 'Replace', { etag })));
    return { value: settings, etag: response.etag ?? '' };
  }

  async delete(tenantId: string): Promise<void> {
    const table = await this.table();
    await readOrUndefined(() => table.deleteEntity(tenantId, ROW_KEY));
  }
}
