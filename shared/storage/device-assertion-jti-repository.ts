import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { isServiceError } from '../domain/errors.js';
import { storageCall } from './storage-errors.js';
import { purgeRows } from './table-purge.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `DeviceAssertionJtis`: the `jti`s of accepted device assertions, shared by every instance.
 * PartitionKey = device id, RowKey = SHA-256 of the jti (any characters are safe), `expiresDateTime`
 * = the assertion's `exp` plus the clock skew; rows past it are purged by the timer.
 */
interface JtiEntity {
  partitionKey: string;
  rowKey: string;
  expiresDateTime: string;
}

export class DeviceAssertionJtiRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.deviceAssertionJtis);
  }

  /** Records a jti; false when it was recorded before (a replay). */
  async claim(deviceId: string, jti: string, expires: Date): Promise<boolean> {
    const table = await this.table();
    const entity: JtiEntity = {
      partitionKey: deviceId,
      rowKey: createHash('sha256').update(jti, 'utf8').digest('hex'),
      expiresDateTime: expires.toISOString(),
    };
    try {
      await storageCall(() => table.createEntity(entity));
      return true;
    } catch (error) {
      if (isServiceError(error, 'Conflict')) return false;
      throw error;
    }
  }

  /** Deletes the entries that expired before `now`; answers how many. */
  async purgeExpired(now: Date): Promise<number> {
    return purgeRows(await this.table(), odata`expiresDateTime lt ${now.toISOString()}`);
  }
}
