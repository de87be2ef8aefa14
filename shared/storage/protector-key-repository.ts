import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { StoredProtectorKeyState } from '../domain/protector-key.js';
import type { Versioned } from '../domain/tenant.js';
import type { SealedPrivateKey } from '../keys/tenant-key-custody.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `ProtectorKeys`, PartitionKey = tenant id:
 * - RowKey `key_<kid>`: one key version: public part, state, and the private key sealed under the KEK
 *   (the sealed fields are erased when the version is retired);
 * - RowKey `current`: the pointer to the active version, changed only with its ETag (create-once at
 *   first, then ETag-conditional replace), which is what makes "one active key" hold across instances.
 * Callers validate `kid` (RFC 7638 thumbprint, base64url) before it reaches a row key.
 */
const CURRENT = 'current';
const KEY_PREFIX = 'key_';

export interface StoredProtectorKey {
  tenantId: string;
  kid: string;
  state: StoredProtectorKeyState;
  createdDateTime: string;
  stateChangedDateTime: string;
  n: string;
  e: string;
  sealed: SealedPrivateKey | undefined;
}

export interface CurrentKeyPointer {
  kid: string;
  /** When this kid became current (scheduled rotation counts from here). */
  since: string;
}

interface KeyEntity {
  partitionKey: string;
  rowKey: string;
  kid: string;
  state: string;
  createdDateTime: string;
  stateChangedDateTime: string;
  n: string;
  e: string;
  kekId?: string;
  wrappedDataKey?: string;
  iv?: string;
  ciphertext?: string;
  tag?: string;
}

interface PointerEntity {
  partitionKey: string;
  rowKey: string;
  kid: string;
  since: string;
}

function toEntity(key: StoredProtectorKey): KeyEntity {
  return {
    partitionKey: key.tenantId,
    rowKey: `${KEY_PREFIX}${key.kid}`,
    kid: key.kid,
    state: key.state,
    createdDateTime: key.createdDateTime,
    stateChangedDateTime: key.stateChangedDateTime,
    n: key.n,
    e: key.e,
    ...(key.sealed ?? {}),
  };
}

function fromEntity(entity: KeyEntity): StoredProtectorKey {
  const { kekId, wrappedDataKey, iv, ciphertext, tag } = entity;
  return {
    tenantId: entity.partitionKey,
    kid: entity.kid,
    state: entity.state as StoredProtectorKeyState,
    createdDateTime: entity.createdDateTime,
    stateChangedDateTime: entity.stateChangedDateTime,
    n: entity.n,
    e: entity.e,
    sealed: kekId && wrappedDataKey && iv && ciphertext && tag ? { kekId, wrappedDataKey, iv, ciphertext, tag } : undefined,
  };
}

export class ProtectorKeyRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.protectorKeys);
  }

  async getCurrent(tenantId: string): Promise<Versioned<CurrentKeyPointer> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<PointerEntity>(tenantId, CURRENT));
    return entity ? { value: { kid: entity.kid, since: entity.since }, etag: entity.etag } : undefined;
  }

  /** Create-once: `Conflict` when another request made the tenant's first key current first. */
  async createCurrent(tenantId: string, pointer: CurrentKeyPointer): Promise<void> {
    const table = await this.table();
    await storageCall(() => table.createEntity<PointerEntity>({ partitionKey: tenantId, rowKey: CURRENT, ...pointer }));
  }

  /** `PreconditionFailed` when the pointer moved since it was read at `etag`. */
  async replaceCurrent(tenantId: string, pointer: CurrentKeyPointer, etag: string): Promise<void> {
    const table = await this.table();
    await storageCall(() => table.updateEntity<PointerEntity>({ partitionKey: tenantId, rowKey: CURRENT, ...pointer }, 'Replace', { etag }));
  }

  async getKey(tenantId: string, kid: string): Promise<Versioned<StoredProtectorKey> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<KeyEntity>(tenantId, `${KEY_PREFIX}${kid}`));
    return entity ? { value: fromEntity(entity), etag: entity.etag } : undefined;
  }

  async listKeys(tenantId: string): Promise<StoredProtectorKey[]> {
    const table = await this.table();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${KEY_PREFIX} and RowKey lt ${'key`'}`;
    return storageCall(async () => {
      const keys: StoredProtectorKey[] = [];
      for await (const entity of table.listEntities<KeyEntity>({ queryOptions: { filter } })) keys.push(fromEntity(entity));
      return keys;
    });
  }

  async insertKey(key: StoredProtectorKey): Promise<void> {
    const table = await this.table();
    await storageCall(() => table.createEntity(toEntity(key)));
  }

  async replaceKey(key: StoredProtectorKey, etag: string): Promise<string> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity(toEntity(key), 'Replace', { etag }));
    return response.etag ?? '';
  }

  async deleteKey(tenantId: string, kid: string): Promise<void> {
    const table = await this.table();
    await readOrUndefined(() => table.deleteEntity(tenantId, `${KEY_PREFIX}${kid}`));
  }

  /** Every tenant that has a current key, with its pointer (the scheduled rotation walks these). */
  async *currentPointers(): AsyncIterable<{ tenantId: string; pointer: CurrentKeyPointer }> {
    const table = await this.table();
    const entities = table.listEntities<PointerEntity>({ queryOptions: { filter: odata`RowKey eq ${CURRENT}` } });
    const iterator = entities[Symbol.asyncIterator]();
    for (;;) {
      const next = await storageCall(() => iterator.next());
      if (next.done) return;
      yield { tenantId: next.value.partitionKey, pointer: { kid: next.value.kid, since: next.value.since } };
    }
  }

  /** Offboarding: every row of the tenant, pointer included, in batches of at most 100. */
  async deleteTenant(tenantId: string): Promise<number> {
    const table = await this.table();
    const rowKeys = await storageCall(async () => {
      const keys: string[] = [];
      const rows = table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId}`, select: ['RowKey'] } });
      for await (const row of rows) keys.push(row.rowKey as string);
      return keys;
    });
    for (let start = 0; start < rowKeys.length; start += 100) {
      const actions: TransactionAction[] = rowKeys.slice(start, start + 100).map((rowKey) => ['delete', { partitionKey: tenantId, rowKey }]);
      await storageCall(() => table.submitTransaction(actions));
    }
    return rowKeys.length;
  }
}
