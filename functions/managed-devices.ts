import {
  MANAGED_DEVICE_PROPERTIES,
  managedDeviceCollectionSchema,
  managedDeviceSelectedEntitySchema,
  resetPasscodeActionResultCollectionSchema,
} from '../shared/contract/managed-devices.js';
import { cleanRevealReason, JOIN_TYPES, MAX_REVEAL_REASON_LENGTH, type DeviceFilterProperty, type ManagedDeviceRecord } from '../shared/domain/device.js';
import { notFound } from '../shared/domain/errors.js';
import { continuationOf, graphCollection, graphEntity, nextLinkAfter } from '../shared/http/graph-responses.js';
import type { ODataSpec } from '../shared/http/odata.js';
import { defineOperation, userOf, type OperationContext } from '../shared/http/pipeline.js';
import { noContent } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { latestActionView, managedDeviceView } from '../shared/services/managed-device-views.js';

const SET = 'deviceManagement/managedDevices';
const DEFAULT_PAGE_SIZE = 100;
const FILTERABLE: readonly DeviceFilterProperty[] = ['deviceName', 'azureADDeviceId', 'joinType', 'userId'];

const managedDeviceOData: ODataSpec = {
  entityType: 'microsoft.graph.managedDevice',
  selectable: MANAGED_DEVICE_PROPERTIES,
  top: true,
  skiptoken: true,
  filterable: Object.fromEntries(
    FILTERABLE.map((property) => [property, { operators: ['eq'], type: 'string', ...(property === 'joinType' ? { values: JOIN_TYPES } : {}) }]),
  ),
};

const managedDeviceEntityOData: ODataSpec = { entityType: managedDeviceOData.entityType, selectable: MANAGED_DEVICE_PROPERTIES };

/** GUID-valued properties are stored lower case; compare them so. */
function filterValue(property: DeviceFilterProperty, value: string): string {
  return property === 'azureADDeviceId' || property === 'userId' ? value.toLowerCase() : value;
}

function selectsActionResults(context: OperationContext<unknown>): boolean {
  const { select } = context.query;
  return !select || select.includes('deviceActionResults');
}

/** The optional `Reveal-Reason` header of a single-device read, cleaned for the audit log. */
export const REVEAL_REASON_HEADER = 'Reveal-Reason';

/** Header values arrive as Latin-1 byte strings: UTF-8 sent by a client is decoded as such when it is valid. */
function headerText(raw: string | null): string | null {
  if (raw === null || !/[\u0080-\u00ff]/.test(raw)) return raw;
  const utf8 = Buffer.from(raw, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? raw : utf8;
}

async function deviceOfTenant(context: OperationContext<unknown>): Promise<ManagedDeviceRecord> {
  const id = context.params.id ?? '';
  const device = (await context.services.devices.get(userOf(context).tenantId, id.toLowerCase()))?.value;
  if (!device) throw notFound(`Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return device;
}

export const listManagedDevices = defineOperation({
  operationId: 'deviceManagement_managedDevices_list',
  summary: "The devices enrolled in the caller's tenant, each with its latest passcode action (never a passcode: read the device itself for that).",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  odata: managedDeviceOData,
  responses: { 200: { description: 'A page of managed devices.', schema: managedDeviceCollectionSchema } },
  async handle(context) {
    const { filter, top } = context.query;
    const page = await context.services.devices.list(userOf(context).tenantId, {
      filter: filter.map((clause) => ({
        property: clause.property as DeviceFilterProperty,
        value: filterValue(clause.property as DeviceFilterProperty, clause.value),
      })),
      pageSize: top ?? DEFAULT_PAGE_SIZE,
      continuationToken: continuationOf(context),
    });
    // The latest action comes with the device row: no per-device query, no decrypt, no passcode.
    const withActions = selectsActionResults(context);
    const values = page.devices.map((device) =>
      managedDeviceView(device, withActions ? (device.latestAction ? [latestActionView(device.latestAction)] : []) : undefined),
    );
    return graphCollection(context, SET, values, { nextLink: nextLinkAfter(context, page.continuationToken) });
  },
});

export const getManagedDevice = defineOperation({
  operationId: 'deviceManagement_managedDevices_get',
  summary:
    "One device of the caller's tenant with its action history; any other id is 404. A passcode it returns (7 days) is a reveal: audited as passcodeRevealed with the optional Reveal-Reason header, and shown to the device's user.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  odata: managedDeviceEntityOData,
  headers: [
    {
      name: REVEAL_REASON_HEADER,
      description: `Why the passcode is revealed (optional): kept in the passcodeRevealed audit event, control and format characters removed, at most ${MAX_REVEAL_REASON_LENGTH} characters; UTF-8 is accepted.`,
    },
  ],
  responses: {
    200: { description: 'The managed device (Cache-Control: no-store).', schema: managedDeviceSelectedEntitySchema },
    404: { description: "Not a device of the caller's tenant." },
  },
  async handle(context) {
    const device = await deviceOfTenant(context);
    // HEAD is safe: it answers GET's status and headers, but reveals (and audits) no passcode.
    if (!selectsActionResults(context) || context.request.method === 'HEAD') return graphEntity(context, SET, managedDeviceView(device));
    const reason = cleanRevealReason(headerText(context.request.headers.get(REVEAL_REASON_HEADER)));
    const results = await context.services.passcodeReset.revealActionResults(device, userOf(context), reason, context.ids.requestId);
    const response = graphEntity(context, SET, managedDeviceView(device, results));
    return { ...response, headers: { ...response.headers, 'Cache-Control': 'no-store' } };
  },
});

export const listDeviceActionResults = defineOperation({
  operationId: 'deviceManagement_managedDevices_deviceActionResults_list',
  summary: "A device's passcode actions, newest first, with who revealed each passcode; never a passcode (a collection read).",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  responses: {
    200: { description: "The device's action results.", schema: resetPasscodeActionResultCollectionSchema },
    404: { description: "Not a device of the caller's tenant." },
  },
  async handle(context) {
    const device = await deviceOfTenant(context);
    const value = await context.services.passcodeReset.actionResults(device.tenantId, device.id);
    return graphCollection(context, `${SET}('${device.id}')/deviceActionResults`, value);
  },
});

export const resetPasscode = defineOperation({
  operationId: 'deviceManagement_managedDevices_resetPasscode',
  summary:
    "A new passcode that satisfies the tenant's PIN complexity (newPasscode for joined devices, resetPasscode for registered ones). Honours Idempotency-Key.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  requires: 'activeTenant',
  idempotent: { scope: 'resetPasscode' },
  headers: [
    {
      name: 'Idempotency-Key',
      description:
        '1 to 255 printable ASCII characters: the same key and request within 24 hours answers the first result (Idempotent-Replayed: true) instead of a second reset.',
    },
  ],
  responses: {
    204: { description: 'Requested; the device fetches it on its next check-in.' },
    404: { description: "Not a device of the caller's tenant." },
    409: { description: 'An action is already pending or active for the device.' },
    422: { description: 'The Idempotency-Key was used with a different request.' },
  },
  async handle(context) {
    const user = userOf(context);
    await context.services.passcodeReset.requestReset(user.tenantId, (context.params.id ?? '').toLowerCase(), user, context.ids.requestId);
    return noContent();
  },
});

export const cancelDeviceAction = defineOperation({
  operationId: 'deviceManagement_managedDevices_deviceActionResults_cancel',
  summary: 'Cancels a pending or active passcode action (its passcode is erased); 409 on a final one.',
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  responses: { 204: { description: 'Canceled.' }, 404: { description: 'No such action.' }, 409: { description: 'The action is already final.' } },
  async handle(context) {
    const user = userOf(context);
    await context.services.passcodeReset.cancel(
      user.tenantId,
      context.params.id ?? '',
      (context.params.actionId ?? '').toLowerCase(),
      user,
      context.ids.requestId,
    );
    return noContent();
  },
});

export const deleteManagedDevice = defineOperation({
  operationId: 'deviceManagement_managedDevices_delete',
  summary:
    "Deletes (retires) a device of the caller's tenant, as Intune's Delete: its records go, its open passcode action is canceled, its assertions stop working, and its azureADDeviceId can be enrolled again.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  responses: { 204: { description: 'Deleted.' }, 404: { description: "Not a device of the caller's tenant." } },
  async handle(context) {
    const user = userOf(context);
    await context.services.deviceDeletion.delete(user.tenantId, context.params.id ?? '', user, context.ids.requestId);
    return noContent();
  },
});

export const managedDeviceRoutes: RouteDefinition[] = [
  { name: 'managedDevices', route: 'v1.0/deviceManagement/managedDevices', methods: { GET: listManagedDevices } },
  { name: 'managedDeviceById', route: 'v1.0/deviceManagement/managedDevices/{id:guid}', methods: { GET: getManagedDevice, DELETE: deleteManagedDevice } },
  {
    name: 'managedDeviceActionResults',
    route: 'v1.0/deviceManagement/managedDevices/{id:guid}/deviceActionResults',
    methods: { GET: listDeviceActionResults },
  },
  { name: 'managedDeviceResetPasscode', route: 'v1.0/deviceManagement/managedDevices/{id:guid}/resetPasscode', methods: { POST: resetPasscode } },
  {
    name: 'managedDeviceActionCancel',
    route: 'v1.0/deviceManagement/managedDevices/{id:guid}/deviceActionResults/{actionId:guid}/cancel',
    methods: { POST: cancelDeviceAction },
  },
];
