import type { ManagedDevice, PendingAction, ResetPasscodeActionResult } from '../contract/managed-devices.js';
import { ownerTypeFor, type ManagedDeviceRecord } from '../domain/device.js';

/** The views are the contract's shapes (shared/contract/managed-devices.ts). */
export type { ResetPasscodeActionResult };
export type ManagedDeviceView = ManagedDevice;

export function managedDeviceView(device: ManagedDeviceRecord, actionResults?: ResetPasscodeActionResult[]): ManagedDeviceView {
  return {
    id: device.id,
    deviceName: device.deviceName,
    userId: device.userId,
    userPrincipalName: device.userPrincipalName,
    azureADDeviceId: device.azureADDeviceId,
    joinType: device.joinType,
    managedDeviceOwnerType: ownerTypeFor(device.joinType),
    operatingSystem: device.operatingSystem,
    osVersion: device.osVersion,
    enrolledDateTime: device.enrolledDateTime,
    lastSyncDateTime: device.lastSyncDateTime,
    canReset: device.canReset,
    ...(actionResults ? { deviceActionResults: actionResults } : {}),
  };
}

/** What the device receives from `pendingActions`: the passcode and the policy it was made for. */
export type PendingActionView = PendingAction;
