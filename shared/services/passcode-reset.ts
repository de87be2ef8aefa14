import { randomUUID } from 'node:crypto';
import { deviceInitiator, SERVICE_INITIATOR, type AuditActivity, type AuditInitiator, userInitiator } from '../domain/audit.js';
import {
  canTransition,
  isFinalState,
  isOpenState,
  isPasscodeExpired,
  MAX_RECORDED_REVEALS,
  passcodeActionNameFor,
  passcodeExpiry,
  PASSCODE_EXPIRED_ERROR,
  type DeviceActionRecord,
  type ManagedDeviceRecord,
} from '../domain/device.js';
import { conflict, isServiceError, notFound, ServiceError } from '../domain/errors.js';
import { generatePasscode } from '../domain/passcode-generator.js';
import { describePinFailure, isPinFailureCode } from '../domain/pin-policy.js';
import type { Versioned } from '../domain/tenant.js';
import type { DevicePrincipal, UserPrincipal } from '../identity/principal.js';
import type { DeviceActionRepository } from '../storage/device-action-repository.js';
import type { DeviceRepository } from '../storage/device-repository.js';
import type { TenantSettingsRepository } from '../storage/tenant-settings-repository.js';
import { tenantSettingsOrDefaults } from './active-tenant.js';
import type { Clock } from '../domain/clock.js';
import type { AuditLog } from './audit-log.js';
import { actionResultView, type PendingActionView, type ResetPasscodeActionResult } from './managed-device-views.js';
import { readModifyWrite } from './read-modify-write.js';
import { passcodeBinding, type PasscodeSealer } from './passcode-sealer.js';

export interface PasscodeResetDependencies {
  tenantSettings: TenantSettingsRepository;
  devices: DeviceRepository;
  actions: DeviceActionRepository;
  sealer: PasscodeSealer;
  audit: AuditLog;
  clock: Clock;
}

export interface DeviceResult {
  actionState: 'done' | 'failed';
  /** With failed, the device's reason; absent or null with done. */
  errorCode?: string | null | undefined;
}

const MAX_ETAG_RETRIES = 5;

const EXPIRED_DESCRIPTION =
  'The device did not apply the passcode within 7 days of its generation, so it was erased. Check that the ' +
  'device is online and syncing (lastSyncDateTime) and that PIN recovery is enabled on it, then request a new passcode reset.';

function unknownFailureDescription(errorCode: string): string {
  return (
    `The device could not apply the passcode (${errorCode}). Compare the device's Windows Hello for Business ` +
    'PIN policy with pinResetSettings.pinComplexity and check the device event log (Microsoft.Windows.Security.NGC), ' +
    'then request a new passcode reset.'
  );
}

/** Explains a device's failure code to the admin (what to change), for the policy the passcode was made for. */
export function failureDescription(errorCode: string, action: DeviceActionRecord): string {
  if (errorCode === PASSCODE_EXPIRED_ERROR) return EXPIRED_DESCRIPTION;
  return isPinFailureCode(errorCode) ? describePinFailure(errorCode, action.policy) : unknownFailureDescription(errorCode);
}

/**
 * Intune-style passcode reset: an admin requests it, the device fetches the passcode (pending →
 * active) and reports done or failed, the admin sees the result (and the passcode for 7 days).
 * Every transition is ETag-guarded; closing an action and releasing the device's open-action pointer
 * happen in one transaction. The passcode is never logged, audited or stored in the clear.
 */
export class PasscodeResetService {
  constructor(private readonly deps: PasscodeResetDependencies) {}

  private async deviceIn(tenantId: string, deviceId: string): Promise<ManagedDeviceRecord> {
    const device = (await this.deps.devices.get(tenantId, deviceId.toLowerCase()))?.value;
    if (!device) throw notFound(`Resource '${deviceId}' does not exist or one of its queried reference-property objects are not present.`);
    return device;
  }

  /** `resetPasscode`: a new passcode for the device, made for the tenant's current PIN complexity. */
  async requestReset(tenantId: string, deviceId: string, admin: UserPrincipal, correlationId: string): Promise<DeviceActionRecord> {
    const device = await this.deviceIn(tenantId, deviceId);
    const { pinComplexity } = await tenantSettingsOrDefaults(this.deps.tenantSettings, tenantId);
    const now = this.deps.clock();
    const actionId = randomUUID();
    const sealedPasscode = await this.deps.sealer.seal(generatePasscode(pinComplexity), passcodeBinding(tenantId, device.id, actionId));
    const action: DeviceActionRecord = {
      id: actionId,
      tenantId,
      deviceId: device.id,
      actionName: passcodeActionNameFor(device.joinType),
      actionState: 'pending',
      startDateTime: now.toISOString(),
      lastUpdatedDateTime: now.toISOString(),
      passcodeExpiresDateTime: passcodeExpiry(now).toISOString(),
      sealedPasscode,
      policy: pinComplexity,
      errorName: null,
      errorDescription: null,
      passcodeReveals: [],
      passcodeRevealCount: 0,
    };
    await this.createOpen(action, correlationId);
    await this.audit('passcodeResetRequested', action, device.deviceName, userInitiator(admin), correlationId);
    return action;
  }

  private async createOpen(action: DeviceActionRecord, correlationId: string): Promise<void> {
    try {
      await this.deps.actions.createOpen(action);
    } catch (error) {
      if (!isServiceError(error, 'Conflict')) throw error;
      // An open action whose passcode expired (the timer has not run yet) must not block a new reset.
      const open = await this.deps.actions.open(action.tenantId, action.deviceId);
      if (open && isPasscodeExpired(open.value.passcodeExpiresDateTime, this.deps.clock()) && (await this.expire(open, correlationId))) {
        return this.createOpen(action, correlationId);
      }
      throw conflict('The device already has a pending or active passcode action. Wait for the device to report it, or cancel it first.');
    }
  }

  /** The device's open action with its passcode; a pending one becomes active (delivered). */
  async pendingActions(caller: DevicePrincipal, correlationId: string): Promise<PendingActionView[]> {
    const open = await this.deps.actions.open(caller.tenantId, caller.deviceId);
    if (!open || !isOpenState(open.value.actionState)) return [];
    if (open.value.sealedPasscode === null || isPasscodeExpired(open.value.passcodeExpiresDateTime, this.deps.clock())) {
      await this.expire(open, correlationId);
      return [];
    }
    let action = open.value;
    if (action.actionState === 'pending') {
      const delivered = await this.transition(caller.tenantId, caller.deviceId, action.id, (current) =>
        current.actionState === 'pending' ? { next: { ...current, actionState: 'active' } } : { keep: true },
      );
      if (delivered.changed) await this.audit('passcodeResetDelivered', delivered.action, caller.deviceName, deviceInitiator(caller), correlationId);
      action = delivered.action;
    }
    if (action.actionState !== 'active' || action.sealedPasscode === null) return [];
    const passcode = await this.deps.sealer.open(action.sealedPasscode, passcodeBinding(action.tenantId, action.deviceId, action.id));
    return [{ id: action.id, actionName: action.actionName, passcode, policy: action.policy, startDateTime: action.startDateTime }];
  }

  /** The device reports `done` or `failed` (+ errorCode) for an action it fetched. */
  async reportResult(caller: DevicePrincipal, actionId: string, result: DeviceResult, correlationId: string): Promise<void> {
    const { action, changed } = await this.transition(caller.tenantId, caller.deviceId, actionId, (current) => {
      if (isFinalState(current.actionState)) throw conflict(`The action is already ${current.actionState}; a result can no longer be reported.`);
      if (current.actionState !== 'active') throw conflict('The action was not delivered to the device yet: fetch pendingActions first.');
      if (result.actionState === 'done') return { next: { ...current, actionState: 'done', errorName: null, errorDescription: null }, close: true };
      const errorName = result.errorCode ?? 'Unknown';
      return {
        next: { ...current, actionState: 'failed', sealedPasscode: null, errorName, errorDescription: failureDescription(errorName, current) },
        close: true,
      };
    });
    if (changed)
      await this.audit(
        result.actionState === 'done' ? 'passcodeResetDone' : 'passcodeResetFailed',
        action,
        caller.deviceName,
        deviceInitiator(caller),
        correlationId,
      );
  }

  /** Admin: cancels a pending or active action (409 on a final one); the passcode is erased. */
  async cancel(tenantId: string, deviceId: string, actionId: string, admin: UserPrincipal | undefined, correlationId: string): Promise<void> {
    await this.cancelAction(await this.deviceIn(tenantId, deviceId), actionId, admin, correlationId);
  }

  /**
   * Device deletion: cancels the device's open action, if any, as `cancel` does. Works from the record,
   * so it may run after the device rows are gone; an action that finished meanwhile is left as it is.
   */
  async cancelOpenAction(device: ManagedDeviceRecord, admin: UserPrincipal, correlationId: string): Promise<void> {
    const open = await this.deps.actions.open(device.tenantId, device.id);
    if (!open) return;
    try {
      await this.cancelAction(device, open.value.id, admin, correlationId);
    } catch (error) {
      if (!isServiceError(error, 'Conflict') && !isServiceError(error, 'Request_ResourceNotFound')) throw error;
    }
  }

  private async cancelAction(device: ManagedDeviceRecord, actionId: string, admin: UserPrincipal | undefined, correlationId: string): Promise<void> {
    const { action, changed } = await this.transition(device.tenantId, device.id, actionId, (current) => {
      if (!canTransition(current.actionState, 'canceled')) throw conflict(`The action is already ${current.actionState} and cannot be canceled.`);
      return { next: { ...current, actionState: 'canceled', sealedPasscode: null }, close: true };
    });
    if (changed) await this.audit('passcodeResetCanceled', action, device.deviceName, admin ? userInitiator(admin) : SERVICE_INITIATOR, correlationId);
  }

  /**
   * A device's actions, newest first, without any passcode: the admin's collection reads and the
   * device's own view (who revealed its passcode). No decrypt, one query.
   */
  async actionResults(tenantId: string, deviceId: string): Promise<ResetPasscodeActionResult[]> {
    const actions = await this.deps.actions.listForDevice(tenantId, deviceId);
    return actions.map(({ value }) => actionResultView(value, null));
  }

  /**
   * The single-device read: the device's actions with each passcode still visible (7 days). Every
   * passcode returned is a reveal: it is audited (`passcodeRevealed`: the admin, the device and the
   * action, the reason) and recorded on the action for the device's user, before it leaves. If either
   * write fails nothing is revealed (503).
   */
  async revealActionResults(
    device: ManagedDeviceRecord,
    admin: UserPrincipal,
    reason: string | null,
    correlationId: string,
  ): Promise<ResetPasscodeActionResult[]> {
    const now = this.deps.clock();
    const actions = await this.deps.actions.listForDevice(device.tenantId, device.id);
    return Promise.all(
      actions.map(async ({ value: action, etag }) => {
        if (action.sealedPasscode === null || isPasscodeExpired(action.passcodeExpiresDateTime, now)) return actionResultView(action, null);
        const passcode = await this.deps.sealer.open(action.sealedPasscode, passcodeBinding(action.tenantId, action.deviceId, action.id));
        try {
          await this.deps.audit.record({
            tenantId: action.tenantId,
            activity: 'passcodeRevealed',
            result: 'success',
            resultReason: reason,
            initiatedBy: userInitiator(admin),
            targetResources: [
              { id: action.deviceId, type: 'managedDevice', displayName: device.deviceName },
              { id: action.id, type: 'deviceAction', displayName: action.actionName },
            ],
            correlationId,
          });
          const recorded = await this.recordReveal(action, etag, admin, reason, now);
          return actionResultView(recorded, passcode);
        } catch (error) {
          // Whatever stopped the audit or the reveal record (storage down, a lost race retried to the
          // end), the passcode must not leave unrecorded; a GET never answers 412.
          throw new ServiceError('ServiceUnavailable', 'The passcode reveal could not be recorded, so the passcode was not shown. Retry later.', {
            retryAfterSeconds: 5,
            cause: error,
          });
        }
      }),
    );
  }

  private async recordReveal(action: DeviceActionRecord, etag: string, admin: UserPrincipal, reason: string | null, now: Date): Promise<DeviceActionRecord> {
    const reveal = { revealedDateTime: now.toISOString(), revealedBy: { id: admin.objectId, userPrincipalName: admin.userPrincipalName ?? null }, reason };
    return readModifyWrite(
      async (tryNumber) => {
        // The first try writes on the read the caller made; a lost race reads again.
        const found = tryNumber === 1 ? { value: action, etag } : await this.deps.actions.get(action.tenantId, action.deviceId, action.id);
        if (!found) throw notFound('The device action was not found.');
        const next = {
          ...found.value,
          passcodeReveals: [...found.value.passcodeReveals, reveal].slice(-MAX_RECORDED_REVEALS),
          passcodeRevealCount: found.value.passcodeRevealCount + 1,
        };
        await this.deps.actions.recordReveals(next, found.etag);
        return next;
      },
      { attempts: MAX_ETAG_RETRIES + 1 },
    );
  }

  /** Timer: erases every passcode older than 7 days (all tenants, or one); an action still open then fails as expired. */
  async expirePasscodes(correlationId: string, scope: { tenantId?: string } = {}): Promise<number> {
    const due = await this.deps.actions.listWithExpiredPasscode(this.deps.clock(), scope.tenantId);
    let erased = 0;
    for (const action of due) if (await this.expire(action, correlationId)) erased += 1;
    return erased;
  }

  /** Offboarding: every open action of the tenant is canceled (and its passcode erased). */
  async cancelOpenActions(tenantId: string, correlationId: string): Promise<void> {
    for (const { value: action } of await this.deps.actions.listOpen(tenantId)) {
      try {
        await this.cancel(tenantId, action.deviceId, action.id, undefined, correlationId);
      } catch (error) {
        // Finished or removed meanwhile: nothing left to cancel.
        if (!isServiceError(error, 'Conflict') && !isServiceError(error, 'Request_ResourceNotFound')) throw error;
      }
    }
  }

  private async expire(found: Versioned<DeviceActionRecord>, correlationId: string): Promise<boolean> {
    const { value } = found;
    const now = this.deps.clock();
    const { action, changed } = await this.transition(value.tenantId, value.deviceId, value.id, (current) => {
      if (current.sealedPasscode === null && !isOpenState(current.actionState)) return { keep: true };
      if (!isPasscodeExpired(current.passcodeExpiresDateTime, now)) return { keep: true };
      if (!isOpenState(current.actionState)) return { next: { ...current, sealedPasscode: null } };
      return {
        next: { ...current, actionState: 'failed', sealedPasscode: null, errorName: PASSCODE_EXPIRED_ERROR, errorDescription: EXPIRED_DESCRIPTION },
        close: true,
      };
    });
    if (changed) await this.audit('passcodeResetExpired', action, undefined, SERVICE_INITIATOR, correlationId);
    return changed;
  }

  /**
   * Read → decide → ETag-guarded write, retried when another request changed the action meanwhile.
   * `decide` sees the current action and answers the next one (`close`: it reaches a final state), or
   * `keep` to leave it unchanged; it may throw (409 on a final action).
   */
  private async transition(
    tenantId: string,
    deviceId: string,
    actionId: string,
    decide: (current: DeviceActionRecord) => { next: DeviceActionRecord; close?: boolean } | { keep: true },
  ): Promise<{ action: DeviceActionRecord; changed: boolean }> {
    return readModifyWrite(
      async () => {
        const found = await this.deps.actions.get(tenantId, deviceId, actionId);
        if (!found) throw notFound('The device action was not found.');
        const decision = decide(found.value);
        if ('keep' in decision) return { action: found.value, changed: false };
        const next = { ...decision.next, lastUpdatedDateTime: this.deps.clock().toISOString() };
        const open = isOpenState(found.value.actionState);
        const saved = await this.deps.actions.replace(next, found.etag, { close: decision.close === true && open, summarize: open });
        return { action: saved.value, changed: true };
      },
      { attempts: MAX_ETAG_RETRIES + 1 },
    );
  }

  private async audit(
    activity: AuditActivity,
    action: DeviceActionRecord,
    deviceName: string | undefined,
    initiatedBy: AuditInitiator,
    correlationId: string,
  ): Promise<void> {
    const failure = action.actionState === 'failed';
    await this.deps.audit.record({
      tenantId: action.tenantId,
      activity,
      result: failure ? 'failure' : 'success',
      resultReason: failure ? action.errorName : activity === 'passcodeResetExpired' ? 'The passcode was erased 7 days after its generation.' : null,
      initiatedBy,
      targetResources: [
        { id: action.deviceId, type: 'managedDevice', ...(deviceName ? { displayName: deviceName } : {}) },
        { id: action.id, type: 'deviceAction', displayName: action.actionName },
      ],
      correlationId,
    });
  }
}
