import { z } from 'zod';
import { CAN_RESET_VALUES, JOIN_TYPES } from '../shared/domain/device.js';
import { notFound } from '../shared/domain/errors.js';
import { PIN_FAILURE_CODES } from '../shared/domain/pin-policy.js';
import { graphCollection, graphEntity } from '../shared/http/graph-responses.js';
import { defineOperation, deviceOf, userOf, type OperationContext } from '../shared/http/pipeline.js';
import { noContent } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { managedDeviceView } from '../shared/services/managed-device-views.js';
import { managedDeviceSchema, pinComplexitySchema } from './shared-schemas.js';

const deviceKeySchema = z.record(z.string(), z.unknown()).describe('The device\'s public EC P-256 JWK (kty, crv, x, y); a private key (d) is refused.');

const enrollmentSchema = z.strictObject({
  deviceName: z.string().trim().min(1).max(256),
  azureADDeviceId: z.guid(),
  joinType: z.enum(JOIN_TYPES),
  operatingSystem: z.string().trim().min(1).max(64),
  osVersion: z.string().trim().min(1).max(64),
  deviceKey: deviceKeySchema,
}).meta({ id: 'managedDeviceEnrollment' });

const statusSchema = z.strictObject({
  canReset: z.enum(CAN_RESET_VALUES),
  ngcSet: z.boolean(),
  pinRecoveryEnabled: z.boolean(),
}).meta({ id: 'deviceStatus' });

const resultSchema = z.strictObject({
  actionState: z.enum(['done', 'failed']),
  errorCode: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/).optional().describe(`With failed: the device's reason, e.g. ${PIN_FAILURE_CODES.join(', ')}.`),
}).refine((result) => result.actionState === 'done' ? result.errorCode === undefined : result.errorCode !== undefined, {
  message: 'errorCode is required with failed and not allowed with done',
  path: ['errorCode'],
}).meta({ id: 'deviceActionResultReport' });

const pendingActionsSchema = z.object({
  value: z.array(z.object({ id: z.string(), actionName: z.enum(['newPasscode', 'resetPasscode']), passcode: z.string(), policy: pinComplexitySchema, startDateTime: z.string() })),
}).meta({ id: 'pendingActions' });

const NOT_ONBOARDED = { description: 'A valid assertion, but the device\'s tenant is not onboarded (or was offboarded).' };

/** A device route names the device itself: any other id is 404 (never reveal other devices). */
function requireOwnDevice(context: OperationContext<unknown>) {
  const device = deviceOf(context);
  if (context.params.id?.toLowerCase() !== device.deviceId) throw notFound();
  return device;
}

export const enrollDevice = defineOperation({
  operationId: 'me_managedDevices_enroll',
  summary: 'Enrol the caller\'s device with its public signing key; enrolling the same azureADDeviceId again updates it (200).',
  tags: ['devices'],
  auth: 'user',
  body: { schema: enrollmentSchema },
  responses: {
    201: { description: 'Enrolled.', schema: managedDeviceSchema },
    200: { description: 'Enrolled again: the record was updated and its key replaced.', schema: managedDeviceSchema },
    403: { description: 'The tenant is not onboarded, or the token\'s deviceid claim (a token obtained on a joined device) names another device than azureADDeviceId.' },
    409: { description: 'The azureADDeviceId is enrolled by another user.' },
  },
  async handle(context) {
    const { device, created } = await context.services.deviceEnrollment.enroll(userOf(context), context.body, context.ids.requestId);
    return graphEntity(context, 'deviceManagement/managedDevices', managedDeviceView(device), created ? 201 : 200);
  },
});

export const reportDeviceStatus = defineOperation({
  operationId: 'devices_status',
  summary: 'The device reports its PIN reset capability (dsregcmd CanReset), whether a Hello container exists and whether PIN recovery is enabled.',
  tags: ['devices'],
  auth: 'device',
  body: { schema: statusSchema },
  responses: { 204: { description: 'Recorded (also the device\'s lastSyncDateTime).' }, 401: { description: 'Invalid device assertion.' }, 403: NOT_ONBOARDED, 404: { description: 'Not the calling device.' } },
  async handle(context) {
    await context.services.deviceEnrollment.reportStatus(requireOwnDevice(context), context.body, context.ids.requestId);
    return noContent();
  },
});

export const getPendingActions = defineOperation({
  operationId: 'devices_pendingActions',
  summary: 'The device\'s open passcode action with the passcode and the policy it was generated for; fetching moves it from pending to active.',
  tags: ['devices'],
  auth: 'device',
  responses: { 200: { description: 'The pending or active actions (at most one).', schema: pendingActionsSchema }, 401: { description: 'Invalid device assertion.' }, 403: NOT_ONBOARDED },
  async handle(context) {
    const device = requireOwnDevice(context);
    const value = await context.services.passcodeReset.pendingActions(device, context.ids.requestId);
    return graphCollection(context, `devices('${device.deviceId}')/pendingActions`, value, { headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
  },
});

export const reportActionResult = defineOperation({
  operationId: 'devices_pendingActions_result',
  summary: 'The device reports done, or failed with the reason (e.g. InvalidPinTooFewCharacters).',
  tags: ['devices'],
  auth: 'device',
  body: { schema: resultSchema },
  responses: {
    204: { description: 'Recorded.' },
    403: NOT_ONBOARDED,
    404: { description: 'No such action for this device.' },
    409: { description: 'The action is not active (already final, or not delivered yet).' },
  },
  async handle(context) {
    const device = requireOwnDevice(context);
    await context.services.passcodeReset.reportResult(device, (context.params.actionId ?? '').toLowerCase(), context.body, context.ids.requestId);
    return noContent();
  },
});

export const deviceRoutes: RouteDefinition[] = [
  { name: 'meManagedDevices', route: 'v1.0/me/managedDevices', methods: { POST: enrollDevice } },
  { name: 'deviceStatus', route: 'v1.0/devices/{id:guid}/status', methods: { POST: reportDeviceStatus } },
  { name: 'devicePendingActions', route: 'v1.0/devices/{id:guid}/pendingActions', methods: { GET: getPendingActions } },
  { name: 'devicePendingActionResult', route: 'v1.0/devices/{id:guid}/pendingActions/{actionId:guid}/result', methods: { POST: reportActionResult } },
];
