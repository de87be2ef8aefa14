import { z } from 'zod';
import {
  ACTION_STATES, CAN_RESET_VALUES, JOIN_TYPES, OWNER_TYPES, PASSCODE_ACTION_NAMES, REPORTED_ACTION_STATES,
} from '../domain/device.js';
import { PIN_FAILURE_CODES } from '../domain/pin-policy.js';
import { collectionOf, entityOf, selectionOf } from './graph.js';
import { pinComplexitySchema } from './settings.js';
import { safeText } from './text.js';

export { ACTION_STATES, CAN_RESET_VALUES, JOIN_TYPES, OWNER_TYPES, PASSCODE_ACTION_NAMES, REPORTED_ACTION_STATES };

export const MANAGED_DEVICE_PROPERTIES = [
  'id', 'deviceName', 'userId', 'userPrincipalName', 'azureADDeviceId', 'joinType', 'managedDeviceOwnerType',
  'operatingSystem', 'osVersion', 'enrolledDateTime', 'lastSyncDateTime', 'canReset', 'deviceActionResults',
] as const;

/** Graph `resetPasscodeActionResult` as the admin sees it in `deviceActionResults`. */
export const resetPasscodeActionResultSchema = z.object({
  '@odata.type': z.literal('#microsoft.graph.resetPasscodeActionResult'),
  id: z.string(),
  actionName: z.enum(PASSCODE_ACTION_NAMES),
  actionState: z.enum(ACTION_STATES),
  startDateTime: z.string(),
  lastUpdatedDateTime: z.string(),
  passcode: z.string().nullable().describe('Shown for 7 days from generation, then null (and erased).'),
  errorCode: z.string().nullable(),
  errorDescription: z.string().nullable().describe('What the admin should change after a failure.'),
}).meta({ id: 'resetPasscodeActionResult' });
export type ResetPasscodeActionResult = z.infer<typeof resetPasscodeActionResultSchema>;

/** Graph's managedDevice as this service answers it (admin views and enrolment). */
export const managedDeviceSchema = z.object({
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
}).meta({ id: 'managedDevice' });
export type ManagedDevice = z.infer<typeof managedDeviceSchema>;

const managedDeviceSelectionSchema = selectionOf(managedDeviceSchema, 'managedDeviceSelection');
export type ManagedDeviceSelection = z.infer<typeof managedDeviceSelectionSchema>;
export const managedDeviceCollectionSchema = collectionOf(managedDeviceSelectionSchema, 'managedDeviceCollection');
export const managedDeviceSelectedEntitySchema = entityOf(managedDeviceSelectionSchema, 'managedDeviceSelectionEntity');
export const managedDeviceEntitySchema = entityOf(managedDeviceSchema, 'managedDeviceEntity');
export type ManagedDeviceEntity = z.infer<typeof managedDeviceEntitySchema>;

export const deviceKeySchema = z.record(z.string(), z.unknown())
  .describe('The device\'s public EC P-256 JWK (kty, crv, x, y); a private key (d) is refused.')
  .meta({ id: 'devicePublicJwk' });
/** An EC P-256 public JWK as enrolment sends it. */
export interface DevicePublicJwk { kty: 'EC'; crv: 'P-256'; x: string; y: string }

export const enrollmentRequestSchema = z.strictObject({
  deviceName: safeText(256),
  azureADDeviceId: z.guid(),
  joinType: z.enum(JOIN_TYPES),
  operatingSystem: safeText(64),
  osVersion: safeText(64),
  deviceKey: deviceKeySchema,
}).meta({ id: 'managedDeviceEnrollment' });
export type EnrollDeviceRequest = Omit<z.input<typeof enrollmentRequestSchema>, 'deviceKey'> & { deviceKey: DevicePublicJwk };

export const deviceStatusSchema = z.strictObject({
  canReset: z.enum(CAN_RESET_VALUES),
  ngcSet: z.boolean(),
  pinRecoveryEnabled: z.boolean(),
}).meta({ id: 'deviceStatus' });
export type DeviceStatusReport = z.infer<typeof deviceStatusSchema>;

export const actionResultReportSchema = z.strictObject({
  actionState: z.enum(REPORTED_ACTION_STATES),
  errorCode: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/).optional().describe(`With failed: the device's reason, e.g. ${PIN_FAILURE_CODES.join(', ')}.`),
}).refine((result) => result.actionState === 'done' ? result.errorCode === undefined : result.errorCode !== undefined, {
  message: 'errorCode is required with failed and not allowed with done',
  path: ['errorCode'],
}).meta({ id: 'deviceActionResultReport' });
export type ActionResultReport = z.infer<typeof actionResultReportSchema>;

export const pendingActionSchema = z.object({
  id: z.string(),
  actionName: z.enum(PASSCODE_ACTION_NAMES),
  passcode: z.string(),
  policy: pinComplexitySchema.describe('The tenant policy the passcode was generated for.'),
  startDateTime: z.string(),
}).meta({ id: 'pendingAction' });
export type PendingAction = z.infer<typeof pendingActionSchema>;

export const pendingActionCollectionSchema = collectionOf(pendingActionSchema, 'pendingActionCollection');
