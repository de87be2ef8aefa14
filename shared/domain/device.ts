/**
 * Managed devices and their passcode actions (Intune-style): join types, ownership, action names,
 * the action lifecycle and the 7-day passcode visibility rule. Pure domain code.
 */
import type { PinComplexity } from './pin-policy.js';

export const JOIN_TYPES = ['azureADJoined', 'azureADRegistered', 'hybridAzureADJoined'] as const;
export type JoinType = (typeof JOIN_TYPES)[number];

export const OWNER_TYPES = ['company', 'personal'] as const;
export type ManagedDeviceOwnerType = (typeof OWNER_TYPES)[number];

/** dsregcmd `CanReset`. */
export const CAN_RESET_VALUES = ['DestructiveOnly', 'NonDestructiveOnly', 'DestructiveAndNonDestructive', 'Unknown'] as const;
export type CanReset = (typeof CAN_RESET_VALUES)[number];

/** Joined (corporate) devices are `company`; workplace-registered ones are `personal`. */
export function ownerTypeFor(joinType: JoinType): ManagedDeviceOwnerType {
  return joinType === 'azureADRegistered' ? 'personal' : 'company';
}

/**
 * Intune runs two different device actions: "New Passcode" on Entra-joined (corporate) devices and
 * "Reset Passcode" on workplace-registered (personal) ones.
 */
export const PASSCODE_ACTION_NAMES = ['newPasscode', 'resetPasscode'] as const;
export type PasscodeActionName = (typeof PASSCODE_ACTION_NAMES)[number];

export function passcodeActionNameFor(joinType: JoinType): PasscodeActionName {
  return joinType === 'azureADRegistered' ? 'resetPasscode' : 'newPasscode';
}

/** A device's public signing key (EC P-256 JWK), as enrolled. */
export interface DevicePublicKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface ManagedDeviceRecord {
  /** The managed device id (a GUID of ours, distinct from azureADDeviceId); iss/sub of device assertions. */
  id: string;
  tenantId: string;
  userId: string;
  userPrincipalName: string | null;
  deviceName: string;
  azureADDeviceId: string;
  joinType: JoinType;
  operatingSystem: string;
  osVersion: string;
  deviceKey: DevicePublicKey;
  enrolledDateTime: string;
  lastSyncDateTime: string | null;
  canReset: CanReset;
  ngcSet: boolean | null;
  pinRecoveryEnabled: boolean | null;
}

// ---------------------------------------------------------------------------------------------------
// Action lifecycle

export const ACTION_STATES = ['pending', 'active', 'done', 'failed', 'canceled'] as const;
export type ActionState = (typeof ACTION_STATES)[number];
/** What a device may report for its action. */
export const REPORTED_ACTION_STATES = ['done', 'failed'] as const;

/** pending → active (delivered) → done | failed; pending | active → canceled; nothing leaves a final state. */
const TRANSITIONS: Readonly<Record<ActionState, readonly ActionState[]>> = {
  pending: ['active', 'canceled', 'failed'],
  active: ['done', 'failed', 'canceled'],
  done: [],
  failed: [],
  canceled: [],
};

export function canTransition(from: ActionState, to: ActionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinalState(state: ActionState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** Open = pending or active: at most one per device. */
export function isOpenState(state: ActionState): boolean {
  return state === 'pending' || state === 'active';
}

/** The passcode is shown for 7 days from generation, then erased. */
export const PASSCODE_VISIBILITY_MS = 7 * 24 * 60 * 60 * 1000;

export function passcodeExpiry(generatedAt: Date): Date {
  return new Date(generatedAt.getTime() + PASSCODE_VISIBILITY_MS);
}

export function isPasscodeExpired(passcodeExpiresDateTime: string, now: Date): boolean {
  return now.getTime() >= Date.parse(passcodeExpiresDateTime);
}

/** The service's own error code when a passcode expired before the device applied it. */
export const PASSCODE_EXPIRED_ERROR = 'PasscodeExpired';

export interface DeviceActionRecord {
  id: string;
  tenantId: string;
  deviceId: string;
  actionName: PasscodeActionName;
  actionState: ActionState;
  startDateTime: string;
  lastUpdatedDateTime: string;
  passcodeExpiresDateTime: string;
  /** The sealed (encrypted) passcode; null once erased (expired, failed, canceled). */
  sealedPasscode: string | null;
  /** The tenant's PIN complexity the passcode was generated for. */
  policy: PinComplexity;
  errorCode: string | null;
  errorDescription: string | null;
}

/** Properties an admin may filter managed devices on (`$filter ... eq`). */
export type DeviceFilterProperty = 'deviceName' | 'azureADDeviceId' | 'joinType' | 'userId';
