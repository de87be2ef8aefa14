import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import type { OnboardingStep } from '../domain/onboarding.js';
import { isServiceError } from '../domain/errors.js';
import { readOrUndefined, storageCall } from './storage-errors.js';
import { purgeRows } from './table-purge.js';
import { TABLE_NAMES, type TableStore } from './table-store.js';

/**
 * Table `OnboardingStates`: one row per issued `state` (PartitionKey = SHA-256 of the state, so the
 * value itself is never stored; RowKey = `state`). A state is consumed by an ETag-conditional update,
 * so of two concurrent callbacks carrying the same state exactly one wins. Until the first
 * successful callback a pending onboarding exists only here (no tenant row); housekeeping deletes
 * rows once they expire, used or not.
 */
const ROW_KEY = 'state';

/** The administrator who signed in at the start (names them on pages and in the audit log). */
export interface OnboardingAdmin {
  objectId: string;
  userPrincipalName: string | undefined;
  displayName: string | undefined;
}

export interface OnboardingStateRow {
  step: OnboardingStep;
  tenantId: string;
  /** What the admin typed at /onboarding/start (a tenant id or a domain). */
  requestedTenant: string;
  createdDateTime: string;
  expiresDateTime: string;
  /** SHA-256 of the browser key in the presenting browser's HttpOnly cookie: binds the state to it. */
  browserHash?: string;
  /** The sign-in step's OpenID Connect nonce (public: it travels in the authorization URL). */
  nonce?: string;
  /** Consent steps: the administrator who signed in. */
  admin?: OnboardingAdmin;
}

interface StateEntity {
  partitionKey: string;
  rowKey: string;
  step: string;
  tenantId: string;
  requestedTenant: string;
  createdDateTime: string;
  expiresDateTime: string;
  consumedDateTime?: string;
  browserHash?: string;
  nonce?: string;
  adminObjectId?: string;
  adminUserPrincipalName?: string;
  adminDisplayName?: string;
}

export type ConsumeResult =
  | { outcome: 'consumed'; row: OnboardingStateRow }
  | { outcome: 'unknown' }
  | { outcome: 'used'; row: OnboardingStateRow }
  | { outcome: 'expired'; row: OnboardingStateRow };

function keyOf(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

function rowOf(entity: StateEntity): OnboardingStateRow {
  return {
    step: entity.step as OnboardingStep,
    tenantId: entity.tenantId,
    requestedTenant: entity.requestedTenant,
    createdDateTime: entity.createdDateTime,
    expiresDateTime: entity.expiresDateTime,
    ...(entity.browserHash ? { browserHash: entity.browserHash } : {}),
    ...(entity.nonce ? { nonce: entity.nonce } : {}),
    ...(entity.adminObjectId
      ? { admin: { objectId: entity.adminObjectId, userPrincipalName: entity.adminUserPrincipalName, displayName: entity.adminDisplayName } }
      : {}),
  };
}

function entityOf(state: string, row: OnboardingStateRow): StateEntity {
  const { admin, ...rest } = row;
  const entity: StateEntity = {
    partitionKey: keyOf(state),
    rowKey: ROW_KEY,
    ...rest,
    ...(admin ? { adminObjectId: admin.objectId, adminUserPrincipalName: admin.userPrincipalName, adminDisplayName: admin.displayName } : {}),
  };
  // Table entities hold no undefined properties.
  return Object.fromEntries(Object.entries(entity).filter(([, value]) => value !== undefined)) as unknown as StateEntity;
}

export class OnboardingStateRepository {
  constructor(private readonly store: TableStore) {}

  private table(): Promise<TableClient> {
    return this.store.table(TABLE_NAMES.onboardingStates);
  }

  async create(state: string, row: OnboardingStateRow): Promise<void> {
    const table = await this.table();
    await storageCall(() => table.createEntity(entityOf(state, row)));
  }

  /** Consumes `state` once: unknown, already used and expired states are told apart for the page. */
  async consume(state: string, now: Date): Promise<ConsumeResult> {
    const table = await this.table();
    const entity = await readOrUndefined(() => table.getEntity<StateEntity>(keyOf(state), ROW_KEY));
    if (!entity) return { outcome: 'unknown' };
    const row = rowOf(entity);
    if (entity.consumedDateTime) return { outcome: 'used', row };
    if (Date.parse(entity.expiresDateTime) <= now.getTime()) return { outcome: 'expired', row };
    try {
      await storageCall(() =>
        table.updateEntity({ partitionKey: entity.partitionKey, rowKey: ROW_KEY, consumedDateTime: now.toISOString() }, 'Merge', { etag: entity.etag }),
      );
    } catch (error) {
      // Another callback consumed it between our read and our write.
      if (isServiceError(error, 'PreconditionFailed') || isServiceError(error, 'Request_ResourceNotFound')) return { outcome: 'used', row };
      throw error;
    }
    return { outcome: 'consumed', row };
  }

  /**
   * When the newest service-consent link issued for the tenant that is still usable (not consumed,
   * not expired) was created; undefined when there is none. The table only holds links of the last
   * few minutes to hours (housekeeping), so this filtered scan stays small.
   */
  async latestPendingServiceConsent(tenantId: string, now: Date): Promise<string | undefined> {
    const table = await this.table();
    return storageCall(async () => {
      let latest: string | undefined;
      const filter = odata`tenantId eq ${tenantId} and step eq ${'service'} and expiresDateTime gt ${now.toISOString()}`;
      for await (const entity of table.listEntities<StateEntity>({ queryOptions: { filter, select: ['createdDateTime', 'consumedDateTime'] } })) {
        if (entity.consumedDateTime) continue;
        if (latest === undefined || entity.createdDateTime > latest) latest = entity.createdDateTime;
      }
      return latest;
    });
  }

  /** Deletes the rows that expired before `now` (used or not); answers how many. */
  async purgeExpired(now: Date): Promise<number> {
    return purgeRows(await this.table(), odata`expiresDateTime lt ${now.toISOString()}`);
  }
}
