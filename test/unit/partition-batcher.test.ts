import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, PartitionBatcher } from '../../shared/storage/partition-batcher.js';

interface Row {
  partitionKey: string;
  rowKey: string;
}
const row = (partitionKey: string, index: number): Row => ({ partitionKey, rowKey: String(index) });
/** One event-loop turn: a lone insert has been sent after it. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function recorder(options: { fail?: (batch: Row[]) => boolean; delayMs?: number } = {}) {
  const batches: Row[][] = [];
  const batcher = new PartitionBatcher<Row>(async (entities) => {
    batches.push(entities);
    await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 5));
    if (options.fail?.(entities)) throw new Error('transaction failed');
  });
  return { batches, batcher };
}

describe('partition batcher', () => {
  it('sends a lone insert at once, and inserts made while a batch is in flight together in the next', async () => {
    const { batches, batcher } = recorder();
    const first = batcher.insert(row('t', 0));
    await nextTurn();
    expect(batches).toEqual([[row('t', 0)]]);
    const later = Array.from({ length: 5 }, (_, index) => batcher.insert(row('t', index + 1)));
    await Promise.all([first, ...later]);
    expect(batches.map((batch) => batch.length)).toEqual([1, 5]);
  });

  it('puts inserts made by separate callbacks of one event-loop turn in one batch', async () => {
    const { batches, batcher } = recorder();
    const inserts = await new Promise<Promise<void>[]>((resolve) => {
      const made: Promise<void>[] = [];
      // Two timers due together run in one timers phase, with the microtasks drained between them.
      setTimeout(() => made.push(batcher.insert(row('t', 0))));
      setTimeout(() => {
        made.push(batcher.insert(row('t', 1)));
        resolve(made);
      });
    });
    await Promise.all(inserts);
    expect(batches.map((batch) => batch.length)).toEqual([2]);
  });

  it('never puts two partitions in one batch, and never more than 100 rows in one', async () => {
    const { batches, batcher } = recorder();
    await Promise.all(Array.from({ length: 250 }, (_, index) => batcher.insert(row(index % 2 ? 'a' : 'b', index))));
    expect(batches.every((batch) => new Set(batch.map((entity) => entity.partitionKey)).size === 1)).toBe(true);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(MAX_BATCH_SIZE);
    expect(batches.flat()).toHaveLength(250);
  });

  it('fails exactly the inserts of a failed batch, and the next batch still goes', async () => {
    const { batcher } = recorder({ fail: (batch) => batch.some((entity) => entity.rowKey === '1') });
    const first = batcher.insert(row('t', 0));
    await nextTurn();
    const failing = [batcher.insert(row('t', 1)), batcher.insert(row('t', 2))];
    const results = await Promise.allSettled([first, ...failing]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(batcher.insert(row('t', 3))).resolves.toBeUndefined();
  });

  it('keeps one batch in flight per partition, and fails the waiting inserts with a batch that storage did not answer', async () => {
    const batches: Row[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const batcher = new PartitionBatcher<Row>(
      async (entities) => {
        batches.push(entities);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (entities.some((entity) => entity.rowKey === 'down')) throw new Error('storage down');
      },
      10,
      (error) => (error as Error).message === 'storage down',
    );
    await Promise.all(Array.from({ length: 35 }, (_, index) => batcher.insert(row('t', index))));
    expect(maxInFlight).toBe(1);
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 10, 5]);

    batches.length = 0;
    const first = batcher.insert({ partitionKey: 't', rowKey: 'down' });
    await nextTurn();
    const waiting = [batcher.insert(row('t', 100)), batcher.insert(row('t', 101))];
    const results = await Promise.allSettled([first, ...waiting]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(batches).toHaveLength(1);
  });
});
