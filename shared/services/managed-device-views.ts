import { ownerTypeFor, type ActionState, type CanReset, type JoinType, type ManagedDeviceOwnerType, type ManagedDeviceRecord, type PasscodeActionName } from '../domain/device.js';
import type { PinComplexity } from '../domain/pin-policy.js';

/** Graph `resetPasscodeActionResult` as the admin sees it in `deviceActionResults`. */
export interface ResetPasscodeActionResult {
  '@odata.type': '#microsoft.graph.resetPasscodeActionResult';
  id: string;
  actionName: PasscodeActionName;
  actionState: ActionState;
  startDateTime: string;
  lastUpdatedDateTime: string;
  /** Shown for 7 days from generation, then null. */
  passcode: string | null;
  errorCode: string | null;
  errorDescription: string | null;
}

/** Graph `managedDevice` (the fields api.md lists). */
export interface ManagedDeviceView {
  id: string;
  deviceName: string;
  userId: string;
  userPrincipalName: string | null;
  azureADDeviceId: string;
  joinType: JoinType;
  managedDeviceOwnerType: ManagedDeviceOwnerType;
  operatingSystem: string;
  osVersion: string;
  enrolledDateTime: string;
  lastSyncDateTime: string | null;
  canReset: CanReset;
  deviceActionResults?: ResetPasscodeActionResult[];
}

export const MANAGED_DEVICE_PROPERTIES = [
  'id', 'deviceName', 'userId', 'userPrincipalName', 'azureADDeviceId', 'joinType', 'managedDeviceOwnerType',
  'operatingSystem', 'osVersion', 'enrolledDateTime', 'lastSyncDateTime', 'canReset', 'deviceActionResults',
] as const;

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
export interface PendingActionView {
  id: string;
  actionName: PasscodeActionName;
  passcode: string;
  policy: PinComplexity;
  startDateTime: string;
}
