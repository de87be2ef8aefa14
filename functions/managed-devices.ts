import {
  MANAGED_DEVICE_PROPERTIES, managedDeviceCollectionSchema, managedDeviceSelectedEntitySchema,
} from '../shared/contract/managed-devices.js';
import type { DeviceFilterProperty, ManagedDeviceRecord } from '../shared/domain/device.js';
import { notFound } from '../shared/domain/errors.js';
import { decodeSkiptoken, graphCollection, graphEntity, nextLinkAfter } from '../shared/http/graph-responses.js';
import type { ODataSpec } from '../shared/http/odata.js';
import { defineOperation, userOf, type OperationContext } from '../shared/http/pipeline.js';
import { noContent } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { managedDeviceView, type ManagedDeviceView } from '../shared/services/managed-device-views.js';

const SET = 'deviceManagement/managedDevices';
const DEFAULT_PAGE_SIZE = 100;
const FILTERABLE: readonly DeviceFilterProperty[] = ['deviceName', 'azureADDeviceId', 'joinType', 'userId'];

const managedDeviceOData: ODataSpec = {
  entityType: 'microsoft.graph.managedDevice',
  selectable: MANAGED_DEVICE_PROPERTIES,
  top: true,
  skiptoken: true,
  filterable: Object.fromEntries(FILTERABLE.map((property) => [property, { operators: ['eq'], type: 'string' }])),
};

const managedDeviceEntityOData: ODataSpec = { entityType: managedDeviceOData.entityType, selectable: MANAGED_DEVICE_PROPERTIES };

/** GUID-valued properties are stored lower case; compare them so. */
function filterValue(property: DeviceFilterProperty, value: string): string {
  return property === 'azureADDeviceId' || property === 'userId' ? value.toLowerCase() : value;
}

async function withActionResults(context: OperationContext<unknown>, device: ManagedDeviceRecord): Promise<ManagedDeviceView> {
  const { select } = context.query;
  if (select && !select.includes('deviceActionResults')) return managedDeviceView(device);
  return managedDeviceView(device, await context.services.passcodeReset.actionResults(device.tenantId, device.id));
}

async function deviceOfTenant(context: OperationContext<unknown>): Promise<ManagedDeviceRecord> {
  const id = context.params.id ?? '';
  const device = (await context.services.devices.get(userOf(context).tenantId, id.toLowerCase()))?.value;
  if (!device) throw notFound(`Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return device;
}

export const listManagedDevices = defineOperation({
  operationId: 'deviceManagement_managedDevices_list',
  summary: "The devices enrolled in the caller's tenant, with their passcode action results.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  odata: managedDeviceOData,
  responses: { 200: { description: 'A page of managed devices.', schema: managedDeviceCollectionSchema } },
  async handle(context) {
    const { filter, top, skiptoken } = context.query;
    const page = await context.services.devices.list(userOf(context).tenantId, {
      filter: filter.map((clause) => ({ property: clause.property as DeviceFilterProperty, value: filterValue(clause.property as DeviceFilterProperty, clause.value) })),
      pageSize: top ?? DEFAULT_PAGE_SIZE,
      continuationToken: decodeSkiptoken(skiptoken),
    });
    const values = await Promise.all(page.devices.map((device) => withActionResults(context, device)));
    return graphCollection(context, SET, values, { nextLink: nextLinkAfter(context, page.continuationToken) });
  },
});

export const getManagedDevice = defineOperation({
  operationId: 'deviceManagement_managedDevices_get',
  summary: "One device of the caller's tenant; any other id is 404.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  odata: managedDeviceEntityOData,
  responses: { 200: { description: 'The managed device.', schema: managedDeviceSelectedEntitySchema }, 404: { description: 'Not a device of the caller\'s tenant.' } },
  async handle(context) {
    return graphEntity(context, SET, await withActionResults(context, await deviceOfTenant(context)));
  },
});

export const resetPasscode = defineOperation({
  operationId: 'deviceManagement_managedDevices_resetPasscode',
  summary: "A new passcode that satisfies the tenant's PIN complexity (newPasscode for joined devices, resetPasscode for registered ones). Honours Idempotency-Key.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  requires: 'activeTenant',
  idempotent: { scope: 'resetPasscode' },
  headers: [{ name: 'Idempotency-Key', description: '1 to 255 printable ASCII characters: the same key and request within 24 hours answers the first result (Idempotent-Replayed: true) instead of a second reset.' }],
  responses: {
    204: { description: 'Requested; the device fetches it on its next check-in.' },
    404: { description: 'Not a device of the caller\'s tenant.' },
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
    await context.services.passcodeReset.cancel(user.tenantId, context.params.id ?? '', (context.params.actionId ?? '').toLowerCase(), user, context.ids.requestId);
    return noContent();
  },
});

export const deleteManagedDevice = defineOperation({
  operationId: 'deviceManagement_managedDevices_delete',
  summary: "Deletes (retires) a device of the caller's tenant, as Intune's Delete: its records go, its open passcode action is canceled, its assertions stop working, and its azureADDeviceId can be enrolled again.",
  tags: ['deviceManagement'],
  auth: 'passcodeAdmin',
  responses: { 204: { description: 'Deleted.' }, 404: { description: 'Not a device of the caller\'s tenant.' } },
  async handle(context) {
    const user = userOf(context);
    await context.services.deviceDeletion.delete(user.tenantId, context.params.id ?? '', user, context.ids.requestId);
    return noContent();
  },
});

export const managedDeviceRoutes: RouteDefinition[] = [
  { name: 'managedDevices', route: 'v1.0/deviceManagement/managedDevices', methods: { GET: listManagedDevices } },
  { name: 'managedDeviceById', route: 'v1.0/deviceManagement/managedDevices/{id:guid}', methods: { GET: getManagedDevice, DELETE: deleteManagedDevice } },
  { name: 'managedDeviceResetPasscode', route: 'v1.0/deviceManagement/managedDevices/{id:guid}/resetPasscode', methods: { POST: resetPasscode } },
  { name: 'managedDeviceActionCancel', route: 'v1.0/deviceManagement/managedDevices/{id:guid}/deviceActionResults/{actionId:guid}/cancel', methods: { POST: cancelDeviceAction } },
];
