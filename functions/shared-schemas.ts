import { z } from 'zod';
import { CAN_RESET_VALUES, JOIN_TYPES } from '../shared/domain/device.js';
import { CHARACTER_USAGES, PIN_LENGTH_LOWER_BOUND, PIN_LENGTH_UPPER_BOUND } from '../shared/domain/pin-policy.js';

/** Schemas more than one resource area uses (request validation and OpenAPI alike). */

const characterUsage = z.enum(CHARACTER_USAGES);
const pinLength = z.number().int().min(PIN_LENGTH_LOWER_BOUND).max(PIN_LENGTH_UPPER_BOUND);

/** PassportForWork PIN complexity, as settings store it and as a passcode action carries it. */
export const pinComplexitySchema = z.strictObject({
  pinMinimumLength: pinLength,
  pinMaximumLength: pinLength,
  pinUppercaseCharactersUsage: characterUsage,
  pinLowercaseCharactersUsage: characterUsage,
  pinSpecialCharactersUsage: characterUsage,
  pinDigitsUsage: characterUsage,
}).meta({ id: 'pinComplexity' });

const actionResultSchema = z.object({
  '@odata.type': z.literal('#microsoft.graph.resetPasscodeActionResult'),
  id: z.string(),
  actionName: z.enum(['newPasscode', 'resetPasscode']),
  actionState: z.enum(['pending', 'active', 'done', 'failed', 'canceled']),
  startDateTime: z.string(),
  lastUpdatedDateTime: z.string(),
  passcode: z.string().nullable().describe('Shown for 7 days from generation, then null (and erased).'),
  errorCode: z.string().nullable(),
  errorDescription: z.string().nullable().describe('What the admin should change after a failure.'),
}).meta({ id: 'resetPasscodeActionResult' });

/** Graph's managedDevice as this service answers it (admin views and enrolment). */
export const managedDeviceSchema = z.object({
  id: z.string(),
  deviceName: z.string(),
  userId: z.string(),
  userPrincipalName: z.string().nullable(),
  azureADDeviceId: z.string(),
  joinType: z.enum(JOIN_TYPES),
  managedDeviceOwnerType: z.enum(['company', 'personal']),
  operatingSystem: z.string(),
  osVersion: z.string(),
  enrolledDateTime: z.string(),
  lastSyncDateTime: z.string().nullable(),
  canReset: z.enum(CAN_RESET_VALUES),
  deviceActionResults: z.array(actionResultSchema).optional(),
}).meta({ id: 'managedDevice' });
