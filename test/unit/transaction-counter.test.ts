import { describe, expect, it } from 'vitest';
import { classifyTableRequest, TableTransactionCounter } from '../../shared/storage/transaction-counter.js';

describe('classifyTableRequest', () => {
  it.each([
    ['GET', "http://127.0.0.1:10002/devstoreaccount1/Devices()?$filter=PartitionKey%20eq%20'x'", 'query', 'Devices'],
    ['GET', "https://acct.table.core.windows.net/Devices(PartitionKey='t',RowKey='device%7Cd')", 'read', 'Devices'],
    ['PUT', "http://127.0.0.1:10002/devstoreaccount1/Devices(PartitionKey='t',RowKey='r')", 'write', 'Devices'],
    ['POST', 'http://127.0.0.1:10002/devstoreaccount1/AuditEvents', 'write', 'AuditEvents'],
    ['DELETE', "https://acct.table.core.windows.net/Devices(PartitionKey='t',RowKey='r')", 'write', 'Devices'],
    ['POST', 'http://127.0.0.1:10002/devstoreaccount1/$batch', 'batch', '$batch'],
    ['POST', 'https://acct.table.core.windows.net/Tables', 'table', 'Tables'],
  ] as const)('%s %s is a %s on %s', (method, url, kind, table) => {
    expect(classifyTableRequest(method, url)).toEqual({ kind, table });
  });
});

describe('TableTransactionCounter', () => {
  it('counts by kind and table, and measures the difference over a piece of work', async () => {
    const counter = new TableTransactionCounter();
    counter.record('GET', 'http://h/acct/Devices()');
    const { counts } = await counter.measure(async () => {
      counter.record('GET', "http://h/acct/Devices(PartitionKey='a',RowKey='b')");
      counter.record('POST', 'http://h/acct/$batch');
    });
    expect(counts).toEqual({ total: 2, byKind: { query: 0, read: 1, write: 0, batch: 1, table: 0 }, byTable: { Devices: 1, $batch: 1 } });
    expect(counter.snapshot().total).toBe(3);
    counter.reset();
    expect(counter.snapshot().total).toBe(0);
  });
});
