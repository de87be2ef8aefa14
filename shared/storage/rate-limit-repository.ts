import { odata, type TableClient } from '@azure/data-tables';
import type { Versioned } from '../domain/tenant.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { purgeRows } from './table-purge.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `RateLimits`: fixed-window counters, PartitionKey = tenant id, RowKey =
 * `<scope>_<subject>_<window start, epoch seconds>`. Counts only go up within a window, always with
 * the row's ETag (create-once for the first use), so every instance shares one count. Counters of
 * windows that ended are never read again; housekeeping deletes them.
 */
interface CounterEntity {
  partitionKey: string;
  rowKey: string;
  count: number;
  windowEnd: string;
}

export interface CounterId {
  partition: string;
  row: string;
}

export class RateLimitRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.rateLimits);
  }

  async read(id: CounterId): Promise<Versioned<number> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<CounterEntity>(id.partition, id.row));
    return entity ? { value: entity.count, etag: entity.etag } : undefined;
  }

  /** `Conflict` when another instance created the counter first. */
  async create(id: CounterId, count: number, windowEnd: Date): Promise<string> {
    const table = await this.table();
    const response = await storageCall(() => table.createEntity<CounterEntity>({ partitionKey: id.partition, rowKey: id.row, count, windowEnd: windowEnd.toISOString() }));
    return response.etag ?? '';
  }

  /** `PreconditionFailed` when another instance counted since `etag`. */
  async replace(id: CounterId, count: number, windowEnd: Date, etag: string): Promise<string> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity<CounterEntity>({ partitionKey: id.partition, rowKey: id.row, count, windowEnd: windowEnd.toISOString() }, 'Replace', { etag }));
    return response.etag ?? '';
  }

  /** Deletes the counters of windows that ended before `now`; answers how many. */
  async purgeExpired(now: Date): Promise<number> {
    return purgeRows(await this.table(), odata`windowEnd lt ${now.toISOString()}`);
  }
}
