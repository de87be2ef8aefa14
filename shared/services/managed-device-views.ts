import type { ManagedDevice, PendingAction, ResetPasscodeActionResult } from '../contract/managed-devices.js';
import { deviceActionErrorCode, ownerTypeFor, type DeviceActionRecord, type DeviceActionSummary, type ManagedDeviceRecord } from '../domain/device.js';

/** The views are the contract's shapes (shared/contract/managed-devices.ts). */
export type { ResetPasscodeActionResult };
export type ManagedDeviceView = ManagedDevice;

/** An action as the admin (or its device) sees it; `passcode` only from the audited single-device read. */
export function actionResultView(action: DeviceActionRecord, passcode: string | null): ResetPasscodeActionResult {
  return {
    ...summaryView(action),
    passcode,
    passcodeReveals: action.passcodeReveals.map((reveal) => ({ revealedDateTime: reveal.revealedDateTime, revealedBy: { user: reveal.revealedBy } })),
  };
}

/** The device list's view of a device's latest action (the summary on the device row): never a passcode. */
export function latestActionView(summary: DeviceActionSummary): ResetPasscodeActionResult {
  return { ...summaryView(summary), passcode: null };
}

function summaryView(action: DeviceActionSummary) {
  return {
    '@odata.type': '#microsoft.graph.resetPasscodeActionResult' as const,
    id: action.id,
    actionName: action.actionName,
    actionState: action.actionState,
    startDateTime: action.startDateTime,
    lastUpdatedDateTime: action.lastUpdatedDateTime,
    errorCode: deviceActionErrorCode(action.errorName),
    errorName: action.errorName,
    errorDescription: action.errorDescription,
  };
}

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
