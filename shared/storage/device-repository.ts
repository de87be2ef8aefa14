import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { CanReset, DeviceActionSummary, JoinType, ManagedDeviceRecord, DeviceFilterProperty } from '../domain/device.js';
import type { Versioned } from '../domain/tenant.js';
import { isServiceError } from '../domain/errors.js';
import { checkedContinuationToken, readOrUndefined, storageCall } from './storage-errors.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `Devices`, three kinds of rows here (and the devices' passcode actions, see
 * device-action-repository.ts, in the same tenant partitions so one transaction covers both):
 * - the device: PartitionKey = tenant id, RowKey = `device|<managed device id>`, with the summary of
 *   its latest action (`latestAction`, JSON) and the kid of its protector (`protectorKeyId`);
 * - the enrolment index: PartitionKey = tenant id, RowKey = `aad|<azureADDeviceId>` → the device id,
 *   created in the same transaction as the device row, so one azureADDeviceId never gets a twin;
 * - the id lookup: PartitionKey = `id|<managed device id>`, RowKey = `tenant` → the tenant id, because a
 *   device call carries only its device id.
 */
const DEVICE_PREFIX = 'device|';
const INDEX_PREFIX = 'aad|';
const LOOKUP_ROW = 'tenant';

export const deviceRowKey = (deviceId: string) => `${DEVICE_PREFIX}${deviceId}`;
const indexRowKey = (azureADDeviceId: string) => `${INDEX_PREFIX}${azureADDeviceId}`;
const lookupPartition = (deviceId: string) => `id|${deviceId}`;

type DeviceEntity = {
  partitionKey: string;
  rowKey: string;
  kind: 'device';
  deviceId: string;
  userId: string;
  userPrincipalName?: string;
  deviceName: string;
  azureADDeviceId: string;
  joinType: string;
  operatingSystem: string;
  osVersion: string;
  deviceKey: string;
  enrolledDateTime: string;
  lastSyncDateTime?: string;
  canReset: string;
  ngcSet?: boolean;
  pinRecoveryEnabled?: boolean;
  protectorKeyId?: string;
  latestAction?: string;
};

function toEntity(device: ManagedDeviceRecord): DeviceEntity {
  return {
    partitionKey: device.tenantId,
    rowKey: deviceRowKey(device.id),
    kind: 'device',
    deviceId: device.id,
    userId: device.userId,
    userPrincipalName: device.userPrincipalName ?? undefined,
    deviceName: device.deviceName,
    azureADDeviceId: device.azureADDeviceId,
    joinType: device.joinType,
    operatingSystem: device.operatingSystem,
    osVersion: device.osVersion,
    deviceKey: JSON.stringify(device.deviceKey),
    enrolledDateTime: device.enrolledDateTime,
    lastSyncDateTime: device.lastSyncDateTime ?? undefined,
    canReset: device.canReset,
    ngcSet: device.ngcSet ?? undefined,
    pinRecoveryEnabled: device.pinRecoveryEnabled ?? undefined,
    protectorKeyId: device.protectorKeyId ?? undefined,
    latestAction: device.latestAction ? JSON.stringify(device.latestAction) : undefined,
  };
}

/**
 * The Merge patch that sets a device's latest-action summary: the passcode action repository puts it
 * in the same entity group transaction as the action row (If-Match `*`: it fails when the device row
 * is gone, which the caller handles).
 */
export function latestActionPatch(tenantId: string, deviceId: string, summary: DeviceActionSummary) {
  return { partitionKey: tenantId, rowKey: deviceRowKey(deviceId), latestAction: JSON.stringify(summary) };
}

function fromEntity(entity: DeviceEntity): ManagedDeviceRecord {
  return {
    id: entity.deviceId,
    tenantId: entity.partitionKey,
    userId: entity.userId,
    userPrincipalName: entity.userPrincipalName ?? null,
    deviceName: entity.deviceName,
    azureADDeviceId: entity.azureADDeviceId,
    joinType: entity.joinType as JoinType,
    operatingSystem: entity.operatingSystem,
    osVersion: entity.osVersion,
    deviceKey: JSON.parse(entity.deviceKey),
    enrolledDateTime: entity.enrolledDateTime,
    lastSyncDateTime: entity.lastSyncDateTime ?? null,
    canReset: entity.canReset as CanReset,
    ngcSet: entity.ngcSet ?? null,
    pinRecoveryEnabled: entity.pinRecoveryEnabled ?? null,
    protectorKeyId: entity.protectorKeyId ?? null,
    latestAction: entity.latestAction ? parseSummary(entity.latestAction) : null,
  };
}

function parseSummary(json: string): DeviceActionSummary {
  const stored = JSON.parse(json) as DeviceActionSummary;
  return { ...stored, errorName: stored.errorName ?? null, errorDescription: stored.errorDescription ?? null };
}

/** Equality filters the admin list supports, by entity property. */
export type { DeviceFilterProperty };

/** One equality clause; the property is matched against the closed set, the value goes through the odata tag. */
function filterClause(property: DeviceFilterProperty, value: string): string {
  switch (property) {
    case 'deviceName':
      return odata`deviceName eq ${value}`;
    case 'azureADDeviceId':
      return odata`azureADDeviceId eq ${value}`;
    case 'joinType':
      return odata`joinType eq ${value}`;
    case 'userId':
      return odata`userId eq ${value}`;
    default:
      throw new Error(`Not a filterable device property: ${String(property)}`);
  }
}

export interface DevicePageQuery {
  filter: readonly { property: DeviceFilterProperty; value: string }[];
  pageSize: number;
  continuationToken: string | undefined;
}

export interface DevicePage {
  devices: ManagedDeviceRecord[];
  continuationToken: string | undefined;
}

export class DeviceRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.devices);
  }

  async get(tenantId: string, deviceId: string): Promise<Versioned<ManagedDeviceRecord> | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<DeviceEntity>(tenantId, deviceRowKey(deviceId)));
    return entity ? { value: fromEntity(entity), etag: entity.etag } : undefined;
  }

  /** The tenant a managed device id belongs to (device calls carry only the device id). */
  async tenantOf(deviceId: string): Promise<string | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<{ tenantId: string }>(lookupPartition(deviceId), LOOKUP_ROW));
    return entity?.tenantId;
  }

  /** The device id enrolled for an azureADDeviceId in a tenant, if any. */
  async deviceIdFor(tenantId: string, azureADDeviceId: string): Promise<string | undefined> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<{ deviceId: string }>(tenantId, indexRowKey(azureADDeviceId)));
    return entity?.deviceId;
  }

  /**
   * Creates the device and its azureADDeviceId index atomically. Answers false (and leaves nothing
   * behind) when the azureADDeviceId is already enrolled in the tenant.
   */
  async create(device: ManagedDeviceRecord): Promise<Versioned<ManagedDeviceRecord> | false> {
    const table = await this.table();
    await storageCall(() => table.upsertEntity({ partitionKey: lookupPartition(device.id), rowKey: LOOKUP_ROW, tenantId: device.tenantId }, 'Replace'));
    const actions: TransactionAction[] = [
      ['create', toEntity(device)],
      ['create', { partitionKey: device.tenantId, rowKey: indexRowKey(device.azureADDeviceId), kind: 'index', deviceId: device.id }],
    ];
    try {
      const response = await storageCall(() => table.submitTransaction(actions));
      return { value: device, etag: response.getResponseForEntity(deviceRowKey(device.id))?.etag ?? '' };
    } catch (error) {
      await readOrUndefined(() => table.deleteEntity(lookupPartition(device.id), LOOKUP_ROW));
      if (isServiceError(error, 'Conflict')) return false;
      throw error;
    }
  }

  /** Replaces the device only if it still has `etag` (PreconditionFailed otherwise). */
  async replace(device: ManagedDeviceRecord, etag: string): Promise<Versioned<ManagedDeviceRecord>> {
    const table = await this.table();
    const response = await storageCall(() => table.updateEntity(toEntity(device), 'Replace', { etag }));
    return { value: device, etag: response.etag ?? '' };
  }

  /**
   * Removes every row of the device: the id lookup first (its assertions stop working at once), then
   * the device row and its azureADDeviceId index in one transaction (same partition), so the
   * azureADDeviceId is free to enrol again exactly when the device is gone. An index row that already
   * names another device (never expected) is left alone. Answers false when there was no such device.
   */
  async delete(tenantId: string, deviceId: string): Promise<boolean> {
    const table = await this.table();
    const existing = await this.get(tenantId, deviceId);
    await readOrUndefined(() => table.deleteEntity(lookupPartition(deviceId), LOOKUP_ROW));
    if (!existing) return false;
    const indexKey = indexRowKey(existing.value.azureADDeviceId);
    const index = await readOrUndefined(() => table.getEntity<{ deviceId: string }>(tenantId, indexKey));
    const actions: TransactionAction[] = [['delete', { partitionKey: tenantId, rowKey: deviceRowKey(deviceId) }]];
    if (index?.deviceId === deviceId) actions.push(['delete', { partitionKey: tenantId, rowKey: indexKey }]);
    try {
      await storageCall(() => table.submitTransaction(actions));
      return true;
    } catch (error) {
      if (!isServiceError(error, 'Request_ResourceNotFound')) throw error;
      // A concurrent delete removed a row first: done if the device is gone, otherwise read again and retry.
      return (await this.get(tenantId, deviceId)) === undefined ? false : this.delete(tenantId, deviceId);
    }
  }

  /**
   * Notes the kid a device's protector was seen under (decrypt): a Merge of that one property, only if
   * the device row still has `etag` (so it never overwrites a newer report); answers false when the
   * row changed or is gone.
   */
  async setProtectorKeyId(tenantId: string, deviceId: string, protectorKeyId: string, etag: string): Promise<boolean> {
    const table = await this.table();
    try {
      await storageCall(() => table.updateEntity({ partitionKey: tenantId, rowKey: deviceRowKey(deviceId), protectorKeyId }, 'Merge', { etag }));
      return true;
    } catch (error) {
      if (isServiceError(error, 'PreconditionFailed') || isServiceError(error, 'Request_ResourceNotFound')) return false;
      throw error;
    }
  }

  /**
   * How many of the tenant's devices were last seen under each protector kid: one query over the
   * tenant's device rows that returns only `protectorKeyId` (one page per 1,000 devices), whatever
   * the number of key versions.
   */
  async countByProtectorKeyId(tenantId: string): Promise<Map<string, number>> {
    const table = await this.table();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${DEVICE_PREFIX} and RowKey lt ${'device}'}`;
    return storageCall(async () => {
      const counts = new Map<string, number>();
      for await (const row of table.listEntities<{ protectorKeyId?: string }>({ queryOptions: { filter, select: ['protectorKeyId'] } })) {
        if (typeof row.protectorKeyId === 'string') counts.set(row.protectorKeyId, (counts.get(row.protectorKeyId) ?? 0) + 1);
      }
      return counts;
    });
  }

  async list(tenantId: string, query: DevicePageQuery): Promise<DevicePage> {
    const table = await this.table();
    const clauses = [odata`PartitionKey eq ${tenantId} and RowKey ge ${DEVICE_PREFIX} and RowKey lt ${'device}'}`];
    for (const clause of query.filter) clauses.push(filterClause(clause.property, clause.value));
    const filter = clauses.join(' and ');
    return storageCall(async () => {
      const pages = table
        .listEntities<DeviceEntity>({ queryOptions: { filter } })
        .byPage({ maxPageSize: query.pageSize, continuationToken: checkedContinuationToken(query.continuationToken) });
      for await (const page of pages) {
        return { devices: page.map(fromEntity), continuationToken: page.continuationToken };
      }
      return { devices: [], continuationToken: undefined };
    });
  }
}
