import type { TableServiceClientOptions } from '@azure/data-tables';

/** A pipeline policy as the table clients take it (`additionalPolicies`), typed from the SDK itself. */
export type TablePipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

/**
 * What one HTTP request to the Table service did, from its method and path:
 * - `query`: a filtered read of a table (`GET /Name()`, one page of at most 1,000 entities);
 * - `read`: a point read (`GET /Name(PartitionKey='…',RowKey='…')`);
 * - `write`: insert, update, merge, upsert or delete of one entity;
 * - `batch`: an entity group transaction (`POST /$batch`, up to 100 operations, billed as one);
 * - `table`: table management (`/Tables`: create, list, delete).
 */
export type TableTransactionKind = 'query' | 'read' | 'write' | 'batch' | 'table';

export interface TableTransactionCounts {
  total: number;
  byKind: Record<TableTransactionKind, number>;
  /** By table name (`$batch` requests count under `$batch`: the SDK does not name the table in the URL). */
  byTable: Record<string, number>;
}

const emptyByKind = (): Record<TableTransactionKind, number> => ({ query: 0, read: 0, write: 0, batch: 0, table: 0 });

export function classifyTableRequest(method: string, url: string): { kind: TableTransactionKind; table: string } {
  const path = decodeURIComponent(new URL(url).pathname);
  // Azurite puts the account name first in the path (`/devstoreaccount1/Name()`); Azure does not.
  const segment = path.split('/').filter(Boolean).pop() ?? '';
  if (segment === '$batch') return { kind: 'batch', table: '$batch' };
  if (segment === 'Tables' || segment.startsWith('Tables(')) return { kind: 'table', table: 'Tables' };
  const table = segment.replace(/\(.*$/, '');
  if (method.toUpperCase() !== 'GET') return { kind: 'write', table };
  return { kind: /\(\s*PartitionKey=/.test(segment) ? 'read' : 'query', table };
}

/**
 * Counts the Table service transactions a process makes, by instrumenting the table clients'
 * pipeline: every HTTP request the SDK sends (each retry included, as Azure bills them) passes through
 * `policy`. Install it with `new TableStore(storage, { policies: [counter.policy] })`. Tests and the
 * bench read `snapshot()` before and after the work they measure, or use `measure`.
 */
export class TableTransactionCounter {
  private counts: TableTransactionCounts = { total: 0, byKind: emptyByKind(), byTable: {} };

  readonly policy: TablePipelinePolicy = {
    name: 'tableTransactionCounter',
    sendRequest: (request, next) => {
      this.record(request.method, request.url);
      return next(request);
    },
  };

  record(method: string, url: string): void {
    const { kind, table } = classifyTableRequest(method, url);
    this.counts.total += 1;
    this.counts.byKind[kind] += 1;
    this.counts.byTable[table] = (this.counts.byTable[table] ?? 0) + 1;
  }

  snapshot(): TableTransactionCounts {
    return { total: this.counts.total, byKind: { ...this.counts.byKind }, byTable: { ...this.counts.byTable } };
  }

  reset(): void {
    this.counts = { total: 0, byKind: emptyByKind(), byTable: {} };
  }

  /** The transactions made while `work` ran (anything else running concurrently counts too). */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; counts: TableTransactionCounts }> {
    const before = this.snapshot();
    const result = await work();
    return { result, counts: difference(this.snapshot(), before) };
  }
}

export function difference(after: TableTransactionCounts, before: TableTransactionCounts): TableTransactionCounts {
  const byKind = emptyByKind();
  for (const kind of Object.keys(byKind) as TableTransactionKind[]) byKind[kind] = after.byKind[kind] - before.byKind[kind];
  const byTable: Record<string, number> = {};
  for (const [table, count] of Object.entries(after.byTable)) {
    const delta = count - (before.byTable[table] ?? 0);
    if (delta > 0) byTable[table] = delta;
  }
  return { total: after.total - before.total, byKind, byTable };
}
