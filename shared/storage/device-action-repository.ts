import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { actionSummary, type ActionState, type DeviceActionRecord, type PasscodeActionName, type PasscodeReveal } from '../domain/device.js';
import { isServiceError } from '../domain/errors.js';
import type { Versioned } from '../domain/tenant.js';
import { deviceRowKey, latestActionPatch } from './device-repository.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Passcode actions live in table `Devices`, in the tenant's partition beside the device rows
 * (device-repository.ts), so that one entity group transaction can change an action and its device:
 * - the action: RowKey = `action|<device id>|<action id>` (a device's actions are one key range); the
 *   passcode only sealed (`sealedPasscode`);
 * - the open-action pointer: RowKey = `open|<device id>` → the action id. It is created in the same
 *   entity group transaction as the action and deleted in the same transaction that moves the action to
 *   a final state, so a device has at most one pending/active action whatever the concurrency.
 * - every change of an open action (create, deliver, close) also sets the device row's `latestAction`
 *   summary in that transaction: the device list reads it with the device (one query per page).
 */
const ACTION_PREFIX = 'action|';
const OPEN_PREFIX = 'open|';

const actionRowKey = (deviceId: string, actionId: string) => `${ACTION_PREFIX}${deviceId}|${actionId}`;
const openRowKey = (deviceId: string) => `${OPEN_PREFIX}${deviceId}`;

type ActionEntity = {
  partitionKey: string;
  rowKey: string;
  kind: 'action';
  actionId: string;
  deviceId: string;
  actionName: string;
  actionState: string;
  startDateTime: string;
  lastUpdatedDateTime: string;
  passcodeExpiresDateTime: string;
  /** Always present so the expiry sweep can filter on it: true while a sealed passcode is stored. */
  hasPasscode: boolean;
  sealedPasscode?: string;
  policy: string;
  /** The symbolic failure code (stored under this name since the first version). */
  errorCode?: string;
  errorDescription?: string;
  /** JSON array of the latest PasscodeReveal entries. */
  passcodeReveals?: string;
  passcodeRevealCount?: number;
};

type OpenEntity = {
  partitionKey: string;
  rowKey: string;
  kind: 'open';
  deviceId: string;
  actionId: string;
};

function toEntity(action: DeviceActionRecord): ActionEntity {
  return {
    partitionKey: action.tenantId,
    rowKey: actionRowKey(action.deviceId, action.id),
    kind: 'action',
    actionId: action.id,
    deviceId: action.deviceId,
    actionName: action.actionName,
    actionState: action.actionState,
    startDateTime: action.startDateTime,
    lastUpdatedDateTime: action.lastUpdatedDateTime,
    passcodeExpiresDateTime: action.passcodeExpiresDateTime,
    hasPasscode: action.sealedPasscode !== null,
    sealedPasscode: action.sealedPasscode ?? undefined,
    policy: JSON.stringify(action.policy),
    errorCode: action.errorName ?? undefined,
    errorDescription: action.errorDescription ?? undefined,
    passcodeReveals: action.passcodeReveals.length > 0 ? JSON.stringify(action.passcodeReveals) : undefined,
    passcodeRevealCount: action.passcodeRevealCount,
  };
}

function fromEntity(entity: ActionEntity): DeviceActionRecord {
  return {
    id: entity.actionId,
    tenantId: entity.partitionKey,
    deviceId: entity.deviceId,
    actionName: entity.actionName as PasscodeActionName,
    actionState: entity.actionState as ActionState,
    startDateTime: entity.startDateTime,
    lastUpdatedDateTime: entity.lastUpdatedDateTime,
    passcodeExpiresDateTime: entity.passcodeExpiresDateTime,
    sealedPasscode: entity.sealedPasscode ?? null,
    policy: JSON.parse(entity.policy),
    errorName: entity.errorCode ?? null,
    errorDescription: entity.errorDescription ?? null,
    passcodeReveals: entity.passcodeReveals ? (JSON.parse(entity.passcodeReveals) as PasscodeReveal[]) : [],
    passcodeRevealCount: entity.passcodeRevealCount ?? 0,
  };
}

function versioned(entity: ActionEntity & { etag: string }): Versioned<DeviceActionRecord> {
  return { value: fromEntity(entity), etag: entity.etag };
}

export class DeviceActionRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.devices);
  }

  async get(tenantId: string, deviceId: string, actionId: string): Promise<Versioned<DeviceActionRecord> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<ActionEntity>(tenantId, actionRowKey(deviceId, actionId)));
    return entity ? versioned(entity) : undefined;
  }

  /** The device's open (pending or active) action, if any. */
  async open(tenantId: string, deviceId: string): Promise<Versioned<DeviceActionRecord> | undefined> {
    const table = await this.table();
    const pointer = await readOrUndefined(() => table.getEntity<OpenEntity>(tenantId, openRowKey(deviceId)));
    return pointer ? this.get(tenantId, deviceId, pointer.actionId) : undefined;
  }

  /**
   * Creates an open action and makes it the device's latest action, in one transaction; `Conflict`
   * when the device already has one (the pointer row exists), `Request_ResourceNotFound` when the
   * device row is gone (deleted meanwhile).
   */
  async createOpen(action: DeviceActionRecord): Promise<Versioned<DeviceActionRecord>> {
    const table = await this.table();
    const pointer: OpenEntity = {
      partitionKey: action.tenantId,
      rowKey: openRowKey(action.deviceId),
      kind: 'open',
      deviceId: action.deviceId,
      actionId: action.id,
    };
    const actions: TransactionAction[] = [
      ['create', pointer],
      ['create', toEntity(action)],
      ['update', latestActionPatch(action.tenantId, action.deviceId, actionSummary(action)), 'Merge'],
    ];
    const response = await storageCall(() => table.submitTransaction(actions));
    return { value: action, etag: response.getResponseForEntity(actionRowKey(action.deviceId, action.id))?.etag ?? '' };
  }

  /**
   * Replaces the action if it still has `etag` (PreconditionFailed otherwise). When `close` is set, the
   * device's open pointer is deleted in the same transaction (the action reached a final state). When
   * `summarize` is set (a change of an open action, which is always the device's latest), the device
   * row's latest-action summary is set in the same transaction too, unless the device row is gone.
   */
  async replace(action: DeviceActionRecord, etag: string, options: { close?: boolean; summarize?: boolean } = {}): Promise<Versioned<DeviceActionRecord>> {
    const table = await this.table();
    const entity = toEntity(action);
    if (!options.close && !options.summarize) {
      const response = await storageCall(() => table.updateEntity(entity, 'Replace', { etag }));
      return { value: action, etag: response.etag ?? '' };
    }
    const actions: TransactionAction[] = [['update', entity, 'Replace', { etag }]];
    if (options.close) actions.push(['delete', { partitionKey: action.tenantId, rowKey: openRowKey(action.deviceId) }]);
    if (options.summarize) actions.push(['update', latestActionPatch(action.tenantId, action.deviceId, actionSummary(action)), 'Merge']);
    try {
      const response = await storageCall(() => table.submitTransaction(actions));
      return { value: action, etag: response.getResponseForEntity(entity.rowKey)?.etag ?? '' };
    } catch (error) {
      // The device was deleted (its actions are kept): close the action without a summary to set.
      if (options.summarize && isServiceError(error, 'Request_ResourceNotFound') && !(await this.deviceRowExists(action.tenantId, action.deviceId))) {
        return this.replace(action, etag, { ...options, summarize: false });
      }
      throw error;
    }
  }

  /** Records reveals on the action row (Merge of those two properties, if it still has `etag`). */
  async recordReveals(action: DeviceActionRecord, etag: string): Promise<string> {
    const table = await this.table();
    const patch = {
      partitionKey: action.tenantId,
      rowKey: actionRowKey(action.deviceId, action.id),
      passcodeReveals: JSON.stringify(action.passcodeReveals),
      passcodeRevealCount: action.passcodeRevealCount,
    };
    const response = await storageCall(() => table.updateEntity(patch, 'Merge', { etag }));
    return response.etag ?? '';
  }

  private async deviceRowExists(tenantId: string, deviceId: string): Promise<boolean> {
    const table = await this.table();
    const row = await readOrUndefined(() => table.getEntity(tenantId, deviceRowKey(deviceId), { queryOptions: { select: ['PartitionKey'] } }));
    return row !== undefined;
  }

  /** Every action of a device (any state), newest first. */
  async listForDevice(tenantId: string, deviceId: string): Promise<Versioned<DeviceActionRecord>[]> {
    const table = await this.table();
    const prefix = `${ACTION_PREFIX}${deviceId}|`;
    return this.query(table, odata`PartitionKey eq ${tenantId} and RowKey ge ${prefix} and RowKey lt ${`${ACTION_PREFIX}${deviceId}}`}`);
  }

  /** Every open action of a tenant (for offboarding). */
  async listOpen(tenantId: string): Promise<Versioned<DeviceActionRecord>[]> {
    const table = await this.table();
    const pointers: OpenEntity[] = await storageCall(async () => {
      const rows: OpenEntity[] = [];
      for await (const row of table.listEntities<OpenEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${OPEN_PREFIX} and RowKey lt ${'open}'}` },
      }))
        rows.push(row);
      return rows;
    });
    const found = await Promise.all(pointers.map((pointer) => this.get(tenantId, pointer.deviceId, pointer.actionId)));
    return found.filter((action): action is Versioned<DeviceActionRecord> => action !== undefined);
  }

  /** Actions (of every tenant, or of one) whose stored passcode is due for erasure at `now`. */
  async listWithExpiredPasscode(now: Date, tenantId?: string): Promise<Versioned<DeviceActionRecord>[]> {
    const table = await this.table();
    const due = odata`hasPasscode eq true and passcodeExpiresDateTime le ${now.toISOString()}`;
    return this.query(table, tenantId === undefined ? due : `${odata`PartitionKey eq ${tenantId}`} and ${due}`);
  }

  private query(table: TableClient, filter: string): Promise<Versioned<DeviceActionRecord>[]> {
    return storageCall(async () => {
      const rows: Versioned<DeviceActionRecord>[] = [];
      for await (const entity of table.listEntities<ActionEntity>({ queryOptions: { filter } })) {
        if (entity.kind === 'action') rows.push(versioned(entity as ActionEntity & { etag: string }));
      }
      return rows.sort((a, b) => b.value.startDateTime.localeCompare(a.value.startDateTime));
    });
  }
}
