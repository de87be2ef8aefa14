import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { AuditActivity, AuditEvent } from '../domain/audit.js';
import { PartitionBatcher } from './partition-batcher.js';
import { checkedContinuationToken, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `AuditEvents`: PartitionKey = tenant id (a tenant never reads another's rows),
 * RowKey = inverted timestamp + id, so a plain partition scan is newest first.
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

export class AuditRepository {
  /** Concurrent inserts into one tenant's partition go together in entity-group transactions. */
  private readonly batcher = new PartitionBatcher<AuditEntity>(async (entities) => {
    const table = await this.table();
    if (entities.length === 1) await storageCall(() => table.createEntity(entities[0]!));
    else await storageCall(() => table.submitTransaction(entities.map((entity): TransactionAction => ['create', { ...entity }])));
  });

  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.auditEvents);
  }

  /** Resolves once the event is stored (alone or in a batch with concurrent events of the tenant); throws if it is not. */
  async insert(event: AuditEvent): Promise<void> {
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
    await this.batcher.insert(entity);
  }

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    const table = await this.table();
    const clauses = [odata`PartitionKey eq ${tenantId}`];
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
