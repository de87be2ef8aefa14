import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { AuditActivity, AuditEvent } from '../domain/audit.js';
import { isServiceError } from '../domain/errors.js';
import { MAX_BATCH_SIZE, PartitionBatcher } from './partition-batcher.js';
import { FIRST_NON_AUDIT_ROW_KEY } from './rate-limit-repository.js';
import { checkedContinuationToken, isConditionFailure, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `AuditEvents`: PartitionKey = tenant id (a tenant never reads another's rows),
 * RowKey = inverted timestamp + id, so a plain partition scan is newest first. The partition also
 * holds the tenant's rate-limit counters (rate-limit-repository.ts, row keys from `~`), which the
 * listing never returns.
 */
const MAX_TIME = 9_999_999_999_999;

function invertedTime(epochMs: number): string {
  return String(MAX_TIME - epochMs).padStart(13, '0');
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  eventId: string;
  activityDateTime: string;
  activity: string;
  result: string;
  resultReason?: string;
  initiatedBy: string;
  targetResources: string;
  correlationId: string;
}

export interface AuditQuery {
  top: number;
  since?: string;
  activity?: AuditActivity;
  continuationToken?: string;
}

export interface AuditPage {
  events: AuditEvent[];
  continuationToken: string | undefined;
}

/**
 * A conditional write of another row of the same partition that rides in the audit row's
 * entity-group transaction (a rate-limit counter claim): stored together with the audit row or not
 * at all. The same write object given with several events of one batch is merged into one action
 * (a transaction names each entity once).
 */
export interface StagedWrite {
  /**
   * The action for `uses` claims at once, computed when the batch goes (from the last settled state);
   * undefined when the claims no longer fit (the batch then fails with StagedWriteConflict unsent).
   */
  action(uses: number): TransactionAction | undefined;
  /**
   * After the transaction: the row's new ETag; or undefined when it failed, with `suspect` true when
   * this write may be why (or may have been applied after all: storage did not answer), so its state
   * must be read again, and false when another action of the transaction failed.
   */
  settle(uses: number, etag: string | undefined, suspect: boolean): void;
}

/**
 * The transaction failed because a staged write's condition did not hold (another instance wrote the
 * counter, or it was deleted): nothing of it was stored. The caller claims again and retries.
 */
export class StagedWriteConflict extends Error {
  constructor(cause: unknown) {
    super('A staged write of the audit transaction conflicted; nothing was stored.', { cause });
  }
}

class ClaimsNoLongerFit extends Error {}

interface PendingInsert {
  partitionKey: string;
  entity: AuditEntity;
  writes: readonly StagedWrite[];
}

/** Audit rows per transaction: each may bring up to two staged writes (user and tenant counter), ≤ 100 actions. */
const MAX_EVENTS_PER_BATCH = Math.floor(MAX_BATCH_SIZE / 3);
/** An event without staged writes whose batch failed on another event's conflict goes again (bounded). */
const MAX_INNOCENT_RETRIES = 10;

/** Table storage names the failed action of a transaction at the start of its message: `"2:The update condition…"`. */
function failedActionIndex(error: unknown): number | undefined {
  const message = (error as { cause?: { message?: unknown } }).cause?.message;
  const match = typeof message === 'string' ? /^(\d+):/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

export class AuditRepository {
  /** Concurrent inserts into one tenant's partition go together in entity-group transactions. */
  private readonly batcher = new PartitionBatcher<PendingInsert>(
    (inserts) => this.submit(inserts),
    MAX_EVENTS_PER_BATCH,
    (error) => isServiceError(error, 'ServiceUnavailable'),
  );

  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.auditEvents);
  }

  private async submit(inserts: PendingInsert[]): Promise<void> {
    const uses = new Map<StagedWrite, number>();
    for (const insert of inserts) for (const write of insert.writes) uses.set(write, (uses.get(write) ?? 0) + 1);
    const staged = [...uses];
    const actions: TransactionAction[] = inserts.map((insert): TransactionAction => ['create', { ...insert.entity }]);
    let etags: (string | undefined)[] = [];
    try {
      for (const [write, count] of staged) {
        const action = write.action(count);
        if (!action) throw new ClaimsNoLongerFit();
        actions.push(action);
      }
      const table = await this.table();
      if (actions.length === 1) await storageCall(() => table.createEntity(inserts[0]!.entity));
      else {
        const response = await storageCall(() => table.submitTransaction(actions));
        etags = staged.map((_, index) => response.subResponses[inserts.length + index]?.etag);
      }
    } catch (error) {
      const unsent = error instanceof ClaimsNoLongerFit;
      const conflict = unsent || (staged.length > 0 && isConditionFailure(error));
      const failed = conflict && !unsent ? failedActionIndex(error) : undefined;
      staged.forEach(([write, count], index) => {
        write.settle(count, undefined, !unsent && (failed === undefined || failed === inserts.length + index));
      });
      if (conflict) throw new StagedWriteConflict(error);
      throw error;
    }
    staged.forEach(([write, count], index) => {
      write.settle(count, etags[index], false);
    });
  }

  /**
   * Resolves once the event is stored (alone or in a batch with concurrent events of the tenant),
   * together with its `writes`; throws if it is not: StagedWriteConflict when a write's condition
   * failed (claim again), ServiceUnavailable when storage did not answer.
   */
  async insert(event: AuditEvent, writes: readonly StagedWrite[] = []): Promise<void> {
    const entity: AuditEntity = {
      partitionKey: event.tenantId,
      rowKey: `${invertedTime(Date.parse(event.activityDateTime))}_${event.id}`,
      eventId: event.id,
      activityDateTime: event.activityDateTime,
      activity: event.activity,
      result: event.result,
      resultReason: event.resultReason ?? undefined,
      initiatedBy: JSON.stringify(event.initiatedBy),
      targetResources: JSON.stringify(event.targetResources),
      correlationId: event.correlationId,
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.batcher.insert({ partitionKey: entity.partitionKey, entity, writes });
        return;
      } catch (error) {
        // Another event's counter conflicted and took this one's transaction down: this one goes again.
        if (error instanceof StagedWriteConflict && writes.length === 0 && attempt < MAX_INNOCENT_RETRIES) continue;
        throw error;
      }
    }
  }

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    const table = await this.table();
    const clauses = [odata`PartitionKey eq ${tenantId}`, odata`RowKey lt ${FIRST_NON_AUDIT_ROW_KEY}`];
    // Newest first: events at or after `since` have row keys at or below its inverted time.
    if (query.since) clauses.push(odata`RowKey lt ${`${invertedTime(Date.parse(query.since))}~`}`);
    if (query.activity) clauses.push(odata`activity eq ${query.activity}`);
    const pages = table
      .listEntities<AuditEntity>({ queryOptions: { filter: clauses.join(' and ') } })
      .byPage({ maxPageSize: query.top, continuationToken: checkedContinuationToken(query.continuationToken) });
    return storageCall(async () => {
      for await (const page of pages) {
        return {
          events: page.map((entity) => ({
            id: entity.eventId,
            tenantId: entity.partitionKey,
            activityDateTime: entity.activityDateTime,
            activity: entity.activity as AuditActivity,
            result: entity.result as AuditEvent['result'],
            resultReason: entity.resultReason ?? null,
            initiatedBy: JSON.parse(entity.initiatedBy),
            targetResources: JSON.parse(entity.targetResources),
            correlationId: entity.correlationId,
          })),
          continuationToken: page.continuationToken,
        };
      }
      return { events: [], continuationToken: undefined };
    });
  }
}
