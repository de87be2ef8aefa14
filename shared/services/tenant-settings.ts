import { etagListMatches } from '../domain/etag.js';
import type { AuditInitiator } from '../domain/audit.js';
import { ServiceError, badRequest } from '../domain/errors.js';
import { validatePinComplexity, type PinComplexity } from '../domain/pin-policy.js';
import { defaultTenantSettings, type TenantSettings } from '../domain/tenant-settings.js';
import type { TenantSettingsRepository } from '../storage/tenant-settings-repository.js';
import type { Clock } from '../domain/clock.js';
import type { AuditLog } from './audit-log.js';
import { readModifyWrite } from './read-modify-write.js';

/** A merge patch of `/pinResetSettings` (already type-checked by the adapter's schema). */
export interface TenantSettingsPatch {
  webSignInAllowedUrls?: string[];
  cloud?: TenantSettings['cloud'];
  pinComplexity?: Partial<PinComplexity>;
  protectorKeyRotationDays?: number;
}

/** Settings with the HTTP ETag (quoted) that an `If-Match` must carry to change them. */
export interface TaggedSettings {
  settings: TenantSettings;
  etag: string;
}

/** The entity tag of a tenant that never saved settings (the defaults). */
export const DEFAULTS_ETAG = '"defaults"';

const WRITE_ATTEMPTS = 5;

function httpEtag(storageEtag: string | undefined): string {
  if (!storageEtag) return DEFAULTS_ETAG;
  return /^(W\/)?".*"$/.test(storageEtag) ? storageEtag : `"${storageEtag}"`;
}

/** Applies a merge patch: nested `pinComplexity` merges too; arrays replace. */
export function mergeSettings(current: TenantSettings, patch: TenantSettingsPatch): TenantSettings {
  return {
    webSignInAllowedUrls: patch.webSignInAllowedUrls
      ? [...new Set(patch.webSignInAllowedUrls.map((host) => host.toLowerCase()))]
      : current.webSignInAllowedUrls,
    cloud: patch.cloud ?? current.cloud,
    pinComplexity: { ...current.pinComplexity, ...patch.pinComplexity },
    protectorKeyRotationDays: patch.protectorKeyRotationDays ?? current.protectorKeyRotationDays,
  };
}

/** Field names a patch changed, dotted, for the audit trail (names only, never values). */
export function changedFields(before: TenantSettings, after: TenantSettings): string[] {
  const changed: string[] = [];
  if (JSON.stringify(before.webSignInAllowedUrls) !== JSON.stringify(after.webSignInAllowedUrls)) changed.push('webSignInAllowedUrls');
  if (before.cloud !== after.cloud) changed.push('cloud');
  for (const key of Object.keys(after.pinComplexity) as (keyof PinComplexity)[]) {
    if (before.pinComplexity[key] !== after.pinComplexity[key]) changed.push(`pinComplexity.${key}`);
  }
  if (before.protectorKeyRotationDays !== after.protectorKeyRotationDays) changed.push('protectorKeyRotationDays');
  return changed;
}

/** Rules that need the merged document (the schema checked each field alone). */
export function validateSettings(settings: TenantSettings): void {
  const [violation] = validatePinComplexity(settings.pinComplexity);
  if (violation) throw badRequest(`Invalid value for '${violation.field}': ${violation.message}`);
}

export class TenantSettingsService {
  constructor(
    private readonly repository: TenantSettingsRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async get(tenantId: string): Promise<TaggedSettings> {
    const stored = await this.repository.get(tenantId);
    return { settings: stored?.value ?? defaultTenantSettings(), etag: httpEtag(stored?.etag) };
  }

  /**
   * Merge-patches the settings with an ETag-conditional write. With `If-Match` the write happens only
   * if the settings are still at that version (412 otherwise); without it a lost race is retried on
   * the fresh version, so two concurrent PATCHes never lose an update.
   */
  async patch(
    tenantId: string,
    patch: TenantSettingsPatch,
    ifMatch: string | undefined,
    actor: AuditInitiator,
    correlationId: string,
  ): Promise<TaggedSettings> {
    // Under a specific If-Match a lost race is the client's 412; otherwise it is retried on the fresh version.
    const pinned = ifMatch !== undefined && ifMatch.trim() !== '*';
    const result = await readModifyWrite(
      async () => {
        const stored = await this.repository.get(tenantId);
        const current = stored?.value ?? defaultTenantSettings();
        // Table storage ETags are weak (W/"datetime'…'"), so If-Match compares weakly here.
        if (ifMatch !== undefined && !etagListMatches(ifMatch, httpEtag(stored?.etag), 'weak')) return 'stale' as const;
        const next = mergeSettings(current, patch);
        validateSettings(next);
        return { saved: await this.repository.save(tenantId, next, stored?.etag, this.clock()), changed: changedFields(current, next) };
      },
      {
        attempts: pinned ? 1 : WRITE_ATTEMPTS,
        retryConflicts: true,
        whenLost: () =>
          pinned
            ? new ServiceError('PreconditionFailed', 'The settings were changed by another request. Read them again and retry.')
            : new ServiceError('Conflict', 'The settings are being changed by other requests. Retry.'),
      },
    );
    if (result === 'stale') {
      throw new ServiceError(
        'PreconditionFailed',
        'The settings were changed since you read them (If-Match does not match the current ETag). Read them again and retry.',
      );
    }
    const { saved, changed } = result;
    await this.audit.record({
      tenantId,
      activity: 'settingsUpdated',
      result: 'success',
      resultReason: changed.length > 0 ? `Changed: ${changed.join(', ')}` : 'No change',
      initiatedBy: actor,
      targetResources: [{ id: tenantId, type: 'pinResetSettings' }],
      correlationId,
    });
    return { settings: saved.value, etag: httpEtag(saved.etag) };
  }
}
