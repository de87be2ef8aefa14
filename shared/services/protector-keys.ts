import { createHash, type KeyObject } from 'node:crypto';
import { SERVICE_INITIATOR, type AuditInitiator } from '../domain/audit.js';
import { conflict, isServiceError, notFound, ServiceError } from '../domain/errors.js';
import { effectiveKeyState, isRotationDue, type ProtectorKeyVersion } from '../domain/protector-key.js';
import type { KekProvider } from '../keys/kek-provider.js';
import { generateTenantKey, isKid, type PublicRsaJwk } from '../keys/tenant-key-generator.js';
import { openPrivateKey, sealPrivateKey, type SealedPrivateKey } from '../keys/tenant-key-custody.js';
import type { UnwrappedKeyCache } from '../keys/unwrapped-key-cache.js';
import type { ProtectorKeyVersionWithDevices } from '../contract/protector-keys.js';
import type { DeviceRepository } from '../storage/device-repository.js';
import type { CurrentKeyPointer, ProtectorKeyRepository, StoredProtectorKey } from '../storage/protector-key-repository.js';
import type { Clock } from '../domain/clock.js';
import type { AuditLog } from './audit-log.js';
import { readModifyWrite } from './read-modify-write.js';
import { TenantStateCache } from './tenant-state-cache.js';

export interface Jwks {
  keys: PublicRsaJwk[];
}

/** Why a kid cannot decrypt (audit only; the caller always gets the one uniform answer). */
export type KeyRefusal = 'unknownKey' | 'retiredKey';

export type DecryptionKey = { ok: true; privateKey: KeyObject; isCurrent: boolean } | { ok: false; reason: KeyRefusal };

export interface KeyActor {
  initiatedBy: AuditInitiator;
  correlationId: string;
}

/**
 * The versions (current first) with their `deviceCount`: the key rows and one projected query over the
 * tenant's device rows (protectorKeyId only), read in parallel, whatever the number of versions.
 */
export async function versionsWithDeviceCounts(
  keys: ProtectorKeyService,
  devices: DeviceRepository,
  tenantId: string,
): Promise<ProtectorKeyVersionWithDevices[]> {
  const [versions, counts] = await Promise.all([keys.versions(tenantId), devices.countByProtectorKeyId(tenantId)]);
  return versions.map((version) => ({ ...version, deviceCount: counts.get(version.kid) ?? 0 }));
}

/** A requested rotation is refused while the tenant has this many versions that still decrypt. */
export const MAX_UNRETIRED_VERSIONS = 20;

export interface RotationLimits {
  /** Seconds after the current key became current before an admin may rotate again (0 = off). */
  minIntervalSeconds: number;
}

const CURRENT_ENTRY = 'current';
const keyEntry = (kid: string) => `key_${kid}`;

/**
 * A tenant's protector keys: create-once, rotate, retire, the JWKS, and the private key for a decrypt.
 * Private keys exist in plaintext only inside this process (the unwrapped-key cache); storage holds
 * them sealed under the KEK.
 */
export class ProtectorKeyService {
  private readonly creating = new Map<string, Promise<CurrentKeyPointer>>();

  constructor(
    private readonly repository: ProtectorKeyRepository,
    private readonly kek: () => KekProvider,
    private readonly cache: UnwrappedKeyCache,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    /** Decrypts' short-lived view of pointer and key rows; this instance's own changes invalidate it. */
    private readonly state: TenantStateCache = new TenantStateCache(0),
    private readonly rotationLimits: () => RotationLimits = () => ({ minIntervalSeconds: 0 }),
  ) {}

  /** The tenant's current key, creating the first one if there is none (create-once across instances). */
  async ensureCurrentKey(tenantId: string, actor: KeyActor): Promise<CurrentKeyPointer> {
    const current = await this.repository.getCurrent(tenantId);
    if (current) return current.value;
    let pending = this.creating.get(tenantId);
    if (!pending) {
      pending = this.createFirstKey(tenantId, actor).finally(() => this.creating.delete(tenantId));
      this.creating.set(tenantId, pending);
    }
    return pending;
  }

  private async createFirstKey(tenantId: string, actor: KeyActor): Promise<CurrentKeyPointer> {
    const key = await this.newPendingKey(tenantId);
    const pointer = { kid: key.kid, since: key.createdDateTime };
    try {
      await this.repository.createCurrent(tenantId, pointer);
    } catch (error) {
      if (!isServiceError(error, 'Conflict')) throw error;
      // Another instance made its key current first: ours never becomes visible.
      await this.repository.deleteKey(tenantId, key.kid);
      const winner = await this.repository.getCurrent(tenantId);
      if (!winner) throw error;
      return winner.value;
    }
    this.state.invalidate(tenantId);
    await this.markActive(tenantId, key.kid);
    await this.audit.record({
      tenantId,
      activity: 'protectorKeyCreated',
      result: 'success',
      initiatedBy: actor.initiatedBy,
      targetResources: [{ id: key.kid, type: 'protectorKey' }],
      correlationId: actor.correlationId,
    });
    return pointer;
  }

  private async newPendingKey(tenantId: string): Promise<StoredProtectorKey> {
    const generated = await generateTenantKey();
    try {
      const now = this.clock().toISOString();
      const sealed = await sealPrivateKey(this.kek(), generated.privateKeyDer, tenantId, generated.kid);
      const key: StoredProtectorKey = {
        tenantId,
        kid: generated.kid,
        state: 'pending',
        createdDateTime: now,
        stateChangedDateTime: now,
        n: generated.publicJwk.n,
        e: generated.publicJwk.e,
        sealed,
      };
      await this.repository.insertKey(key);
      return key;
    } finally {
      generated.privateKeyDer.fill(0);
    }
  }

  /** Best effort: the pointer already makes it active; the stored state keeps the table readable. */
  private async markActive(tenantId: string, kid: string): Promise<void> {
    const row = await this.repository.getKey(tenantId, kid);
    if (row?.value.state !== 'pending') return;
    await this.repository.replaceKey({ ...row.value, state: 'active', stateChangedDateTime: this.clock().toISOString() }, row.etag).catch((error: unknown) => {
      if (!isServiceError(error, 'PreconditionFailed')) throw error;
    });
  }

  /**
   * A new active key; the previous one becomes decryptOnly. `ifCurrentKid` (the scheduled rotation)
   * rotates only if that kid is still current, so concurrent timers rotate once. A requested rotation
   * (no `ifCurrentKid`) is limited: each one costs an RSA key generation on the shared threadpool and
   * leaves one more decryptOnly version behind.
   */
  async rotate(tenantId: string, actor: KeyActor, options: { ifCurrentKid?: string } = {}): Promise<ProtectorKeyVersion> {
    const current = await this.repository.getCurrent(tenantId);
    if (!current) {
      const first = await this.ensureCurrentKey(tenantId, actor);
      return { kid: first.kid, state: 'active', createdDateTime: first.since };
    }
    if (options.ifCurrentKid !== undefined && current.value.kid !== options.ifCurrentKid) {
      return { kid: current.value.kid, state: 'active', createdDateTime: current.value.since };
    }
    if (options.ifCurrentKid === undefined) await this.requireRotationAllowed(tenantId, current.value);
    const key = await this.newPendingKey(tenantId);
    await this.demote(tenantId, current.value.kid);
    try {
      await this.repository.replaceCurrent(tenantId, { kid: key.kid, since: key.createdDateTime }, current.etag);
    } catch (error) {
      await this.repository.deleteKey(tenantId, key.kid);
      if (isServiceError(error, 'PreconditionFailed'))
        throw conflict('The protector key was rotated by another request at the same time. Read the versions again.');
      throw error;
    } finally {
      this.state.invalidate(tenantId);
    }
    await this.markActive(tenantId, key.kid);
    await this.audit.record({
      tenantId,
      activity: 'protectorKeyRotated',
      result: 'success',
      initiatedBy: actor.initiatedBy,
      targetResources: [
        { id: key.kid, type: 'protectorKey', displayName: 'active' },
        { id: current.value.kid, type: 'protectorKey', displayName: 'decryptOnly' },
      ],
      correlationId: actor.correlationId,
    });
    return { kid: key.kid, state: 'active', createdDateTime: key.createdDateTime };
  }

  /** Decided from what is stored already: the current key's `since` and the versions' states. */
  private async requireRotationAllowed(tenantId: string, current: CurrentKeyPointer): Promise<void> {
    const { minIntervalSeconds } = this.rotationLimits();
    const waitMs = Date.parse(current.since) + minIntervalSeconds * 1000 - this.clock().getTime();
    if (minIntervalSeconds > 0 && waitMs > 0) {
      const retryAfterSeconds = Math.min(Math.ceil(waitMs / 1000), minIntervalSeconds);
      throw new ServiceError(
        'TooManyRequests',
        `The protector key was rotated less than ${minIntervalSeconds} seconds ago. Rotate again in ${retryAfterSeconds} seconds.`,
        { retryAfterSeconds },
      );
    }
    const unretired = (await this.versions(tenantId)).filter((version) => version.state !== 'retired').length;
    if (unretired >= MAX_UNRETIRED_VERSIONS) {
      throw conflict(
        `The tenant already has ${unretired} protector key versions that are not retired (at most ${MAX_UNRETIRED_VERSIONS}). ` +
          'Retire old versions first (POST .../pinResetProtectorKeys/versions/{kid}/retire), then rotate.',
      );
    }
  }

  /** The outgoing key's stored state becomes decryptOnly before the pointer moves (the pointer decides anyway). */
  private async demote(tenantId: string, kid: string): Promise<void> {
    await readModifyWrite(
      async () => {
        const row = await this.repository.getKey(tenantId, kid);
        if (!row || row.value.state === 'decryptOnly' || row.value.state === 'retired') return;
        await this.repository.replaceKey({ ...row.value, state: 'decryptOnly', stateChangedDateTime: this.clock().toISOString() }, row.etag);
      },
      { attempts: 5 },
    ).catch((error: unknown) => {
      // Best effort: the current-key pointer already decides which key encrypts.
      if (!isServiceError(error, 'PreconditionFailed')) throw error;
    });
  }

  /**
   * No more decrypts under `kid`, ever: the sealed private key is erased from its row (like Vault's
   * min_decryption_version, but irreversible). The current key cannot be retired: rotate first.
   */
  async retire(tenantId: string, kid: string, actor: KeyActor): Promise<ProtectorKeyVersion> {
    if (!isKid(kid)) throw notFound('The protector key version does not exist.');
    const retired = await readModifyWrite(async () => {
      const [current, row] = await Promise.all([this.repository.getCurrent(tenantId), this.repository.getKey(tenantId, kid)]);
      const state = row ? effectiveKeyState(row.value.state, kid, current?.value.kid) : undefined;
      if (!row || !state) throw notFound(`Protector key version '${kid}' does not exist.`);
      if (state === 'active') throw conflict('The current protector key cannot be retired. Rotate first, then retire this version.');
      const version: ProtectorKeyVersion = { kid, state: 'retired', createdDateTime: row.value.createdDateTime };
      if (state === 'retired') return { version, changed: false };
      await this.repository.replaceKey({ ...row.value, state: 'retired', stateChangedDateTime: this.clock().toISOString(), sealed: undefined }, row.etag);
      return { version, changed: true };
    });
    if (!retired.changed) return retired.version;
    this.cache.evict(tenantId, kid);
    this.state.invalidate(tenantId);
    await this.audit.record({
      tenantId,
      activity: 'protectorKeyRetired',
      result: 'success',
      initiatedBy: actor.initiatedBy,
      targetResources: [{ id: kid, type: 'protectorKey' }],
      correlationId: actor.correlationId,
    });
    return retired.version;
  }

  /** Every visible version, the current one first, then newest first. */
  async versions(tenantId: string): Promise<ProtectorKeyVersion[]> {
    return (await this.visibleKeys(tenantId)).map(({ version }) => version);
  }

  private async visibleKeys(tenantId: string): Promise<{ version: ProtectorKeyVersion; key: StoredProtectorKey }[]> {
    const [current, keys] = await Promise.all([this.repository.getCurrent(tenantId), this.repository.listKeys(tenantId)]);
    const visible: { version: ProtectorKeyVersion; key: StoredProtectorKey }[] = [];
    for (const key of keys) {
      const state = effectiveKeyState(key.state, key.kid, current?.value.kid);
      if (state) visible.push({ version: { kid: key.kid, state, createdDateTime: key.createdDateTime }, key });
    }
    const rank = (version: ProtectorKeyVersion) => (version.state === 'active' ? 0 : 1);
    return visible.sort(
      (a, b) =>
        rank(a.version) - rank(b.version) || b.version.createdDateTime.localeCompare(a.version.createdDateTime) || a.version.kid.localeCompare(b.version.kid),
    );
  }

  /** The JWKS devices encrypt to: the current key first, then the versions that still decrypt. */
  async jwks(tenantId: string, actor: KeyActor): Promise<{ jwks: Jwks; etag: string }> {
    await this.ensureCurrentKey(tenantId, actor);
    const jwks: Jwks = {
      keys: (await this.visibleKeys(tenantId))
        .filter(({ version }) => version.state !== 'retired')
        .map(({ key }) => ({ kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256', kid: key.kid, n: key.n, e: key.e })),
    };
    const etag = `"${createHash('sha256').update(JSON.stringify(jwks)).digest('base64url').slice(0, 27)}"`;
    return { jwks, etag };
  }

  /**
   * The private key for a decrypt under `kid`. The pointer and the key row come from the short-lived
   * state cache (this instance's rotate/retire/offboarding invalidate it at once; other instances'
   * within its TTL), but a refusal is never decided on cached state: it is read again from storage.
   */
  async decryptionKey(tenantId: string, kid: string): Promise<DecryptionKey> {
    let usable = await this.usableKey(tenantId, kid);
    if (!usable.ok && this.state.enabled) {
      this.state.forget(tenantId, CURRENT_ENTRY);
      this.state.forget(tenantId, keyEntry(kid));
      usable = await this.usableKey(tenantId, kid);
    }
    if (!usable.ok) return usable;
    const { sealed, isCurrent } = usable;
    // The envelope turns an unreachable KEK into the one 503 (keys/envelope.ts).
    const privateKey = await this.cache.getOrLoad(tenantId, kid, () => openPrivateKey(this.kek(), sealed, tenantId, kid));
    return { ok: true, privateKey, isCurrent };
  }

  private async usableKey(
    tenantId: string,
    kid: string,
  ): Promise<{ ok: true; sealed: SealedPrivateKey; isCurrent: boolean } | { ok: false; reason: KeyRefusal }> {
    const [current, row] = await Promise.all([
      this.state.get(tenantId, CURRENT_ENTRY, () => this.repository.getCurrent(tenantId)),
      this.state.get(tenantId, keyEntry(kid), () => this.repository.getKey(tenantId, kid)),
    ]);
    const state = row ? effectiveKeyState(row.value.state, kid, current?.value.kid) : undefined;
    if (!row || !state) return { ok: false, reason: 'unknownKey' };
    const { sealed } = row.value;
    if (state === 'retired' || !sealed) return { ok: false, reason: 'retiredKey' };
    return { ok: true, sealed, isCurrent: state === 'active' };
  }

  /** Offboarding: the tenant's key rows are deleted; its protectors can never be decrypted again. */
  async destroyTenantKeys(tenantId: string): Promise<number> {
    this.cache.evictTenant(tenantId);
    this.state.invalidate(tenantId);
    const deleted = await this.repository.deleteTenant(tenantId);
    this.cache.evictTenant(tenantId);
    this.state.invalidate(tenantId);
    return deleted;
  }

  /**
   * Scheduled rotation: every tenant whose current key is at least `rotationDaysOf(tenant)` days old
   * gets a new one. Tenants that are not active are skipped. Returns the rotated tenant ids.
   */
  async rotateDueKeys(options: {
    rotationDaysOf(tenantId: string): Promise<number>;
    isActive(tenantId: string): Promise<boolean>;
    correlationId: string;
  }): Promise<string[]> {
    const now = this.clock();
    const rotated: string[] = [];
    for await (const { tenantId, pointer } of this.repository.currentPointers()) {
      if (!isRotationDue(pointer.since, await options.rotationDaysOf(tenantId), now)) continue;
      if (!(await options.isActive(tenantId))) continue;
      try {
        await this.rotate(tenantId, { initiatedBy: SERVICE_INITIATOR, correlationId: options.correlationId }, { ifCurrentKid: pointer.kid });
        rotated.push(tenantId);
      } catch (error) {
        // Another instance rotated it at the same moment: done either way.
        if (!isServiceError(error, 'Conflict')) throw error;
      }
    }
    return rotated;
  }
}
