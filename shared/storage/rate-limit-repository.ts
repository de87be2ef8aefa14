import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Versioned } from '../domain/tenant.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { purgeRows } from './table-purge.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Rate-limit counters: fixed windows, kept **in the tenant's audit partition** (table `AuditEvents`,
 * PartitionKey = tenant id) under RowKey `~rl_<scope>_<subject>_<window start, epoch seconds>`, so
 * that a counter claim and the audit row of the same attempt go in one entity-group transaction
 * (`action`). `~` sorts after every audit row key (digits), and the audit listing stops before it.
 * Counts only go up within a window, always with the row's ETag (create-once for the first use), so
 * every instance shares one count. Counters of windows that ended are never read again; housekeeping
 * deletes them.
 */
interface CounterEntity {
  partitionKey: string;
  rowKey: string;
  count: number;
  windowEnd: string;
}

export interface CounterId {
  partition: string;
  /** `<scope>_<subject>_<window start>`; the repository adds the counter prefix. */
  row: string;
}

/** Every counter row key starts with this; audit row keys (inverted time, digits) sort before it. */
export const COUNTER_ROW_PREFIX = '~rl_';
/** Audit rows are the row keys below this. */
export const FIRST_NON_AUDIT_ROW_KEY = '~';

const rowKeyOf = (id: CounterId) => `${COUNTER_ROW_PREFIX}${id.row}`;

function entityOf(id: CounterId, count: number, windowEnd: Date): CounterEntity {
  return { partitionKey: id.partition, rowKey: rowKeyOf(id), count, windowEnd: windowEnd.toISOString() };
}

export class RateLimitRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.auditEvents);
  }

  async read(id: CounterId): Promise<Versioned<number> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<CounterEntity>(id.partition, rowKeyOf(id)));
    return entity ? { value: entity.count, etag: entity.etag } : undefined;
  }

  /** `Conflict` when another instance created the counter first. */
  async create(id: CounterId, count: number, windowEnd: Date): Promise<string> {
    const table = await this.table();
    const response = await storageCall(() => table.createEntity<CounterEntity>(entityOf(id, count, windowEnd)));
    return response.etag ?? '';
  }

  /** `PreconditionFailed` when another instance counted since `etag`; `Request_ResourceNotFound` when the row is gone. */
  async replace(id: CounterId, count: number, windowEnd: Date, etag: string): Promise<string> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity<CounterEntity>(entityOf(id, count, windowEnd), 'Replace', { etag }));
    return response.etag ?? '';
  }

  /**
   * The same write as `create` (no `etag`) or `replace`, as an action of an entity-group transaction
   * in the tenant's audit partition (see AuditRepository.insert).
   */
  action(id: CounterId, count: number, windowEnd: Date, etag: string | undefined): TransactionAction {
    const entity = entityOf(id, count, windowEnd);
    return etag === undefined ? ['create', { ...entity }] : ['update', { ...entity }, 'Replace', { etag }];
  }

  /** Deletes the counters of windows that ended before `now`; answers how many. */
  async purgeExpired(now: Date): Promise<number> {
    return purgeRows(await this.table(), odata`RowKey ge ${COUNTER_ROW_PREFIX} and RowKey lt ${'~rl`'} and windowEnd lt ${now.toISOString()}`);
  }
}
