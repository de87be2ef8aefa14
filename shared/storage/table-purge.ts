import type { TableClient, TransactionAction } from '@azure/data-tables';
import { readOrUndefined, storageCall } from './storage-errors.js';

/** A table transaction holds at most 100 operations, all in one partition. */
const BATCH_SIZE = 100;

interface Keys {
  partitionKey: string;
  rowKey: string;
}

/**
 * Deletes every row matching `filter` (build it with the `odata` tag): keys only are read, then
 * deleted per partition in transactions of up to 100. A batch that fails (a row deleted meanwhile by
 * another run, for instance) is retried row by row, where an already missing row is fine.
 * Answers how many rows were deleted.
 */
export async function purgeRows(table: TableClient, filter: string): Promise<number> {
  const byPartition = await storageCall(async () => {
    const rows = new Map<string, string[]>();
    for await (const row of table.listEntities<Keys>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      const keys = rows.get(row.partitionKey) ?? [];
      keys.push(row.rowKey);
      rows.set(row.partitionKey, keys);
    }
    return rows;
  });
  let deleted = 0;
  for (const [partitionKey, rowKeys] of byPartition) {
    for (let start = 0; start < rowKeys.length; start += BATCH_SIZE) {
      const batch = rowKeys.slice(start, start + BATCH_SIZE);
      deleted += await deleteBatch(table, partitionKey, batch);
    }
  }
  return deleted;
}

async function deleteBatch(table: TableClient, partitionKey: string, rowKeys: string[]): Promise<number> {
  if (rowKeys.length > 1) {
    const actions: TransactionAction[] = rowKeys.map((rowKey) => ['delete', { partitionKey, rowKey }]);
    try {
      await storageCall(() => table.submitTransaction(actions));
      return rowKeys.length;
    } catch {
      // Fall through: one by one, tolerating rows that are already gone.
    }
  }
  let deleted = 0;
  for (const rowKey of rowKeys) {
    const response = await readOrUndefined(() => table.deleteEntity(partitionKey, rowKey));
    if (response !== undefined) deleted += 1;
  }
  return deleted;
}
