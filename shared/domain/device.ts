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
  /**
   * The kid (protector key version) the device's PIN reset protector was last seen under: reported at
   * enrolment and on status, and noted on decrypt. Null until the device tells. Counts `deviceCount`.
   */
  protectorKeyId: string | null;
  /**
   * The device's latest passcode action without its passcode (null before the first one). Kept on the
   * device row in the same entity group transaction as every change of an open action, so the device
   * list reads it with the device and needs no per-device action query and no decrypt.
   */
  latestAction: DeviceActionSummary | null;
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

/**
 * Numeric codes for `resetPasscodeActionResult.errorCode` (Graph types it Int32, "valid values 0 to
 * 2147483647"). Microsoft publishes no numeric code for these symbolic names (the device reports a
 * name; Windows' own HRESULTs are negative as Int32 and not documented per PIN rule), so this table is
 * ours. It is stable: a code is never reused or renumbered, new names get new numbers.
 * 0 = no error; `errorName` carries the symbolic name, and any name not listed here is 1 (other).
 */
export const DEVICE_ACTION_ERROR_CODES = {
  InvalidPinTooFewCharacters: 1001,
  InvalidPinTooManyCharacters: 1002,
  InvalidPinMissingRequiredCharacters: 1003,
  InvalidPinDisallowedCharacters: 1004,
  InvalidPinConstantStep: 1005,
  InvalidPinUnknownCharacters: 1006,
  [PASSCODE_EXPIRED_ERROR]: 2001,
} as const satisfies Readonly<Record<string, number>>;

/** No error. */
export const NO_ERROR_CODE = 0;
/** A failure whose symbolic name is not in DEVICE_ACTION_ERROR_CODES (the name is kept in errorName). */
export const OTHER_ERROR_CODE = 1;

export function deviceActionErrorCode(errorName: string | null): number {
  if (errorName === null) return NO_ERROR_CODE;
  return Object.hasOwn(DEVICE_ACTION_ERROR_CODES, errorName)
    ? DEVICE_ACTION_ERROR_CODES[errorName as keyof typeof DEVICE_ACTION_ERROR_CODES]
    : OTHER_ERROR_CODE;
}

/** One reveal of a passcode to an admin (a single-device read that returned it). */
export interface PasscodeReveal {
  revealedDateTime: string;
  revealedBy: { id: string; userPrincipalName: string | null };
  /** The admin's `Reveal-Reason` (cleaned), or null. */
  reason: string | null;
}

/** The action row keeps the latest reveals only; `passcodeRevealCount` counts them all. */
export const MAX_RECORDED_REVEALS = 10;

/**
 * `Reveal-Reason` as the audit log and the action keep it: control and format characters (bidi
 * overrides included) removed, whitespace runs folded to one space, trimmed, at most 200 characters;
 * null when nothing is left.
 */
export const MAX_REVEAL_REASON_LENGTH = 200;

export function cleanRevealReason(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const cleaned = raw
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '') return null;
  const characters = Array.from(cleaned);
  return characters.length <= MAX_REVEAL_REASON_LENGTH ? cleaned : characters.slice(0, MAX_REVEAL_REASON_LENGTH).join('');
}

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
  /** The symbolic failure code (`InvalidPinTooFewCharacters`, `PasscodeExpired`, …); null unless failed. */
  errorName: string | null;
  errorDescription: string | null;
  /** The latest reveals to admins (at most MAX_RECORDED_REVEALS), oldest first. */
  passcodeReveals: PasscodeReveal[];
  passcodeRevealCount: number;
}

/** What the device row keeps of its latest action: no passcode, no policy, no reveals. */
export type DeviceActionSummary = Pick<
  DeviceActionRecord,
  'id' | 'actionName' | 'actionState' | 'startDateTime' | 'lastUpdatedDateTime' | 'errorName' | 'errorDescription'
>;

export function actionSummary(action: DeviceActionRecord): DeviceActionSummary {
  const { id, actionName, actionState, startDateTime, lastUpdatedDateTime, errorName, errorDescription } = action;
  return { id, actionName, actionState, startDateTime, lastUpdatedDateTime, errorName, errorDescription };
}

/** Properties an admin may filter managed devices on (`$filter ... eq`). */
export type DeviceFilterProperty = 'deviceName' | 'azureADDeviceId' | 'joinType' | 'userId';
