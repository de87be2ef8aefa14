import {
  actionResultReportSchema,
  deviceStatusSchema,
  enrollmentRequestSchema,
  managedDeviceEntitySchema,
  pendingActionCollectionSchema,
  resetPasscodeActionResultCollectionSchema,
} from '../shared/contract/managed-devices.js';
import { notFound } from '../shared/domain/errors.js';
import { graphCollection, graphEntity } from '../shared/http/graph-responses.js';
import { defineOperation, deviceOf, userOf, type OperationContext } from '../shared/http/pipeline.js';
import { noContent } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { managedDeviceView } from '../shared/services/managed-device-views.js';

const NOT_ONBOARDED = { description: "A valid assertion, but the device's tenant is not onboarded (or was offboarded)." };

/** A device route names the device itself: any other id is 404 (never reveal other devices). */
function requireOwnDevice(context: OperationContext<unknown>) {
  const device = deviceOf(context);
  if (context.params.id?.toLowerCase() !== device.deviceId) throw notFound();
  return device;
}

export const enrollDevice = defineOperation({
  operationId: 'me_managedDevices_enroll',
  summary: "Enrol the caller's device with its public signing key; enrolling the same azureADDeviceId again updates it (200).",
  tags: ['devices'],
  auth: 'user',
  requires: 'activeTenant',
  body: { schema: enrollmentRequestSchema },
  responses: {
    201: { description: 'Enrolled.', schema: managedDeviceEntitySchema },
    200: { description: 'Enrolled again: the record was updated and its key replaced.', schema: managedDeviceEntitySchema },
    403: {
      description:
        "The tenant is not onboarded, or the token's deviceid claim (a token obtained on a joined device) names another device than azureADDeviceId.",
    },
    409: { description: 'The azureADDeviceId is enrolled by another user.' },
  },
  async handle(context) {
    const { device, created } = await context.services.deviceEnrollment.enroll(userOf(context), context.body, context.ids.requestId);
    const view = managedDeviceView(device);
    return created ? graphEntity(context, 'deviceManagement/managedDevices', view, 201) : graphEntity(context, 'deviceManagement/managedDevices', view);
  },
});

export const reportDeviceStatus = defineOperation({
  operationId: 'devices_status',
  summary: 'The device reports its PIN reset capability (dsregcmd CanReset), whether a Hello container exists and whether PIN recovery is enabled.',
  tags: ['devices'],
  auth: 'device',
  body: { schema: deviceStatusSchema },
  responses: {
    204: { description: "Recorded (also the device's lastSyncDateTime)." },
    401: { description: 'Invalid device assertion.' },
    403: NOT_ONBOARDED,
    404: { description: 'Not the calling device.' },
  },
  async handle(context) {
    await context.services.deviceEnrollment.reportStatus(requireOwnDevice(context), context.body, context.ids.requestId);
    return noContent();
  },
});

export const getPendingActions = defineOperation({
  operationId: 'devices_pendingActions',
  summary: "The device's open passcode action with the passcode and the policy it was generated for; fetching moves it from pending to active.",
  tags: ['devices'],
  auth: 'device',
  responses: {
    200: { description: 'The pending or active actions (at most one).', schema: pendingActionCollectionSchema },
    401: { description: 'Invalid device assertion.' },
    403: NOT_ONBOARDED,
  },
  async handle(context) {
    const device = requireOwnDevice(context);
    // HEAD is safe: GET's status and headers, without delivering (and moving to active) any action.
    const value = context.request.method === 'HEAD' ? [] : await context.services.passcodeReset.pendingActions(device, context.ids.requestId);
    return graphCollection(context, `devices('${device.deviceId}')/pendingActions`, value, { headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
  },
});

export const reportActionResult = defineOperation({
  operationId: 'devices_pendingActions_result',
  summary: 'The device reports done, or failed with the reason (e.g. InvalidPinTooFewCharacters).',
  tags: ['devices'],
  auth: 'device',
  body: { schema: actionResultReportSchema },
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

export const getOwnActionResults = defineOperation({
  operationId: 'devices_deviceActionResults',
  summary: "The device's own passcode actions, newest first, with who revealed each passcode to an admin (pinreset-agent status shows it); never a passcode.",
  tags: ['devices'],
  auth: 'device',
  responses: {
    200: { description: "The device's action results (Cache-Control: no-store).", schema: resetPasscodeActionResultCollectionSchema },
    401: { description: 'Invalid device assertion.' },
    403: NOT_ONBOARDED,
    404: { description: 'Not the calling device.' },
  },
  async handle(context) {
    const device = requireOwnDevice(context);
    const value = await context.services.passcodeReset.actionResults(device.tenantId, device.deviceId);
    return graphCollection(context, `devices('${device.deviceId}')/deviceActionResults`, value, { headers: { 'Cache-Control': 'no-store' } });
  },
});

export const deviceRoutes: RouteDefinition[] = [
  { name: 'meManagedDevices', route: 'v1.0/me/managedDevices', methods: { POST: enrollDevice } },
  { name: 'deviceStatus', route: 'v1.0/devices/{id:guid}/status', methods: { POST: reportDeviceStatus } },
  { name: 'deviceActionResults', route: 'v1.0/devices/{id:guid}/deviceActionResults', methods: { GET: getOwnActionResults } },
  { name: 'devicePendingActions', route: 'v1.0/devices/{id:guid}/pendingActions', methods: { GET: getPendingActions } },
  { name: 'devicePendingActionResult', route: 'v1.0/devices/{id:guid}/pendingActions/{actionId:guid}/result', methods: { POST: reportActionResult } },
];
