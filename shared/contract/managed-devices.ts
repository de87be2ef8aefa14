import { z } from 'zod';
import { ACTION_STATES, CAN_RESET_VALUES, JOIN_TYPES, OWNER_TYPES, PASSCODE_ACTION_NAMES, REPORTED_ACTION_STATES } from '../domain/device.js';
import { PIN_FAILURE_CODES } from '../domain/pin-policy.js';
import { isKid } from '../keys/tenant-key-generator.js';
import { collectionOf, entityOf, selectionOf } from './graph.js';
import { pinComplexitySchema } from './settings.js';
import { safeText } from './text.js';

export { ACTION_STATES, CAN_RESET_VALUES, JOIN_TYPES, OWNER_TYPES, PASSCODE_ACTION_NAMES, REPORTED_ACTION_STATES };

export const MANAGED_DEVICE_PROPERTIES = [
  'id',
  'deviceName',
  'userId',
  'userPrincipalName',
  'azureADDeviceId',
  'joinType',
  'managedDeviceOwnerType',
  'operatingSystem',
  'osVersion',
  'enrolledDateTime',
  'lastSyncDateTime',
  'canReset',
  'deviceActionResults',
] as const;

/** One reveal of a passcode to an admin, as admins and the device's user see it (the reason stays in the audit log). */
export const passcodeRevealSchema = z
  .object({
    revealedDateTime: z.string(),
    revealedBy: z.object({ user: z.object({ id: z.string(), userPrincipalName: z.string().nullable() }) }),
  })
  .meta({ id: 'passcodeReveal' });
export type PasscodeRevealView = z.infer<typeof passcodeRevealSchema>;

/** Graph `resetPasscodeActionResult` as the admin sees it in `deviceActionResults`. */
export const resetPasscodeActionResultSchema = z
  .object({
    '@odata.type': z.literal('#microsoft.graph.resetPasscodeActionResult'),
    id: z.string(),
    actionName: z.enum(PASSCODE_ACTION_NAMES),
    actionState: z.enum(ACTION_STATES),
    startDateTime: z.string(),
    lastUpdatedDateTime: z.string(),
    passcode: z
      .string()
      .nullable()
      .describe(
        'Only in a single-device read (audited as passcodeRevealed), for 7 days from generation; null in collection reads and afterwards (then erased).',
      ),
    errorCode: z
      .number()
      .int()
      .min(0)
      .max(2_147_483_647)
      .meta({ format: 'int32' })
      .describe("Int32, as Graph types it: the failure's numeric code (1001-1006 the InvalidPin* codes, 2001 PasscodeExpired, 1 any other name), 0 when none."),
    errorName: z.string().nullable().describe('The symbolic failure code, e.g. InvalidPinTooFewCharacters; null when none.'),
    errorDescription: z.string().nullable().describe('What the admin should change after a failure.'),
    passcodeReveals: z
      .array(passcodeRevealSchema)
      .optional()
      .describe("Who saw the passcode, latest reveals oldest first (absent in the device list's latest-action summary)."),
  })
  .meta({ id: 'resetPasscodeActionResult' });
export type ResetPasscodeActionResult = z.infer<typeof resetPasscodeActionResultSchema>;

/** A device's action history (admin collection read, and the device's own view): never a passcode. */
export const resetPasscodeActionResultCollectionSchema = collectionOf(resetPasscodeActionResultSchema, 'resetPasscodeActionResultCollection');

/** The kid of the JWE a device's protector is wrapped in (enrolment and status; counted in deviceCount). */
const protectorKeyIdSchema = z
  .string()
  .refine(isKid, 'a protector key id (RFC 7638 thumbprint, base64url)')
  .describe("The kid in the header of the JWE the device's PIN reset protector is wrapped in (counted in the key versions' deviceCount).");

/** Graph's managedDevice as this service answers it (admin views and enrolment). */
export const managedDeviceSchema = z
  .object({
    id: z.string(),
    deviceName: z.string(),
    userId: z.string(),
    userPrincipalName: z.string().nullable(),
    azureADDeviceId: z.string(),
    joinType: z.enum(JOIN_TYPES),
    managedDeviceOwnerType: z.enum(OWNER_TYPES),
    operatingSystem: z.string(),
    osVersion: z.string(),
    enrolledDateTime: z.string(),
    lastSyncDateTime: z.string().nullable(),
    canReset: z.enum(CAN_RESET_VALUES),
    deviceActionResults: z.array(resetPasscodeActionResultSchema).optional(),
  })
  .meta({ id: 'managedDevice' });
export type ManagedDevice = z.infer<typeof managedDeviceSchema>;

const managedDeviceSelectionSchema = selectionOf(managedDeviceSchema, 'managedDeviceSelection');
export type ManagedDeviceSelection = z.infer<typeof managedDeviceSelectionSchema>;
export const managedDeviceCollectionSchema = collectionOf(managedDeviceSelectionSchema, 'managedDeviceCollection');
export const managedDeviceSelectedEntitySchema = entityOf(managedDeviceSelectionSchema, 'managedDeviceSelectionEntity');
export const managedDeviceEntitySchema = entityOf(managedDeviceSchema, 'managedDeviceEntity');
export type ManagedDeviceEntity = z.infer<typeof managedDeviceEntitySchema>;

export const deviceKeySchema = z
  .record(z.string(), z.unknown())
  .describe("The device's public EC P-256 JWK (kty, crv, x, y); a private key (d) is refused.")
  .meta({ id: 'devicePublicJwk' });
/** An EC P-256 public JWK as enrolment sends it. */
export interface DevicePublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export const enrollmentRequestSchema = z
  .strictObject({
    '@odata.type': z
      .literal('#microsoft.graph.managedDevice')
      .optional()
      .describe("Graph's type annotation, as Graph clients send it; optional, and only this type."),
    deviceName: safeText(256),
    azureADDeviceId: z.guid(),
    joinType: z.enum(JOIN_TYPES),
    operatingSystem: safeText(64),
    osVersion: safeText(64),
    deviceKey: deviceKeySchema,
    protectorKeyId: protectorKeyIdSchema.optional(),
  })
  .meta({ id: 'managedDeviceEnrollment' });
export type EnrollDeviceRequest = Omit<z.input<typeof enrollmentRequestSchema>, 'deviceKey'> & { deviceKey: DevicePublicJwk };

export const deviceStatusSchema = z
  .strictObject({
    canReset: z.enum(CAN_RESET_VALUES),
    ngcSet: z.boolean(),
    pinRecoveryEnabled: z.boolean(),
    protectorKeyId: protectorKeyIdSchema.optional(),
  })
  .meta({ id: 'deviceStatus' });
export type DeviceStatusReport = z.infer<typeof deviceStatusSchema>;

export const actionResultReportSchema = z
  .strictObject({
    actionState: z.enum(REPORTED_ACTION_STATES),
    errorCode: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
      .nullable()
      .optional()
      .describe(`With failed: the device's reason, e.g. ${PIN_FAILURE_CODES.join(', ')}. With done: absent or null.`),
  })
  .refine((result) => (result.actionState === 'done' ? result.errorCode == null : result.errorCode != null), {
    message: 'errorCode is required with failed and not allowed with done',
    path: ['errorCode'],
  })
  .meta({ id: 'deviceActionResultReport' });
export type ActionResultReport = z.infer<typeof actionResultReportSchema>;

export const pendingActionSchema = z
  .object({
    id: z.string(),
    actionName: z.enum(PASSCODE_ACTION_NAMES),
    passcode: z.string(),
    policy: pinComplexitySchema.describe('The tenant policy the passcode was generated for.'),
    startDateTime: z.string(),
  })
  .meta({ id: 'pendingAction' });
export type PendingAction = z.infer<typeof pendingActionSchema>;

export const pendingActionCollectionSchema = collectionOf(pendingActionSchema, 'pendingActionCollection');
