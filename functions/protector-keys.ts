import { protectorJwksSchema, protectorKeyVersionCollectionSchema, protectorKeyVersionEntitySchema } from '../shared/contract/protector-keys.js';
import { userInitiator } from '../shared/domain/audit.js';
import { graphCollection, graphEntity } from '../shared/http/graph-responses.js';
import { etagListMatches } from '../shared/domain/etag.js';
import { defineOperation, deviceOf, type OperationContext } from '../shared/http/pipeline.js';
import { empty, json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { versionsWithDeviceCounts, type KeyActor } from '../shared/services/protector-keys.js';

const VERSIONS_SET = 'pinResetProtectorKeyVersions';

function actorOf(context: OperationContext<unknown>): KeyActor {
  const initiatedBy = context.user ? userInitiator(context.user) : { device: { id: deviceOf(context).deviceId } };
  return { initiatedBy, correlationId: context.ids.requestId };
}

/** The route's tenant: the pipeline (tenantParam, requires) made sure it is the caller's own and active. */
function tenantOf(context: OperationContext<unknown>): string {
  return (context.params.tid ?? '').toLowerCase();
}

export const getProtectorKeys = defineOperation({
  operationId: 'pinResetProtectorKeys_get',
  summary: "The tenant's protector encryption keys as a JWKS: the current key first, then keys still valid for decryption.",
  tags: ['protector keys'],
  auth: 'userOrDevice',
  tenantParam: 'tid',
  requires: 'activeTenant',
  headers: [{ name: 'If-None-Match', description: 'An ETag of an earlier answer: 304 when the keys did not change.' }],
  responses: {
    200: { description: 'JWKS (ETag, Cache-Control: max-age=300).', schema: protectorJwksSchema, headers: ['ETag', 'Cache-Control'] },
    304: { description: 'If-None-Match matched.', headers: ['ETag'] },
  },
  async handle(context) {
    const tenantId = tenantOf(context);
    const { jwks, etag } = await context.services.protectorKeys.jwks(tenantId, actorOf(context));
    const headers = { ETag: etag, 'Cache-Control': 'max-age=300' };
    if (etagListMatches(context.request.headers.get('if-none-match') ?? '', etag, 'weak')) return empty(304, headers);
    return json(200, jwks, headers);
  },
});

/** Key lifecycle operations: an administrator of the route's tenant, which must be onboarded. */
const TENANT_KEY_ADMIN = { tags: ['protector keys'], auth: 'admin', tenantParam: 'tid', requires: 'activeTenant' } as const;

export const listProtectorKeyVersions = defineOperation({
  operationId: 'pinResetProtectorKeys_listVersions',
  summary: 'Every version of the tenant protector key with its state and deviceCount: enrolled devices whose protector was last seen under it (admin).',
  ...TENANT_KEY_ADMIN,
  responses: { 200: { description: 'The versions, current first.', schema: protectorKeyVersionCollectionSchema } },
  async handle(context) {
    const tenantId = tenantOf(context);
    return graphCollection(context, VERSIONS_SET, await versionsWithDeviceCounts(context.services.protectorKeys, context.services.devices, tenantId));
  },
});

export const rotateProtectorKey = defineOperation({
  operationId: 'pinResetProtectorKeys_rotate',
  summary: 'Makes a new active key; the previous one becomes decryptOnly (admin).',
  ...TENANT_KEY_ADMIN,
  responses: {
    200: { description: 'The new active version.', schema: protectorKeyVersionEntitySchema },
    409: { description: 'Rotated concurrently by another request, or 20 versions are not retired yet (retire old versions first).' },
    429: { description: 'The current key is younger than PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS; Retry-After says when rotating is allowed.' },
  },
  async handle(context) {
    const tenantId = tenantOf(context);
    return graphEntity(context, VERSIONS_SET, await context.services.protectorKeys.rotate(tenantId, actorOf(context)));
  },
});

export const retireProtectorKeyVersion = defineOperation({
  operationId: 'pinResetProtectorKeys_retireVersion',
  summary: 'No more decrypts under this version, ever (admin). The current version cannot be retired: rotate first.',
  ...TENANT_KEY_ADMIN,
  responses: {
    200: { description: 'The retired version.', schema: protectorKeyVersionEntitySchema },
    404: { description: 'No such version.' },
    409: { description: 'The version is the current key.' },
  },
  async handle(context) {
    const tenantId = tenantOf(context);
    return graphEntity(context, VERSIONS_SET, await context.services.protectorKeys.retire(tenantId, context.params.kid ?? '', actorOf(context)));
  },
});

export const protectorKeyRoutes: RouteDefinition[] = [
  { name: 'pinResetProtectorKeys', route: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys', methods: { GET: getProtectorKeys } },
  { name: 'pinResetProtectorKeyVersions', route: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/versions', methods: { GET: listProtectorKeyVersions } },
  { name: 'pinResetProtectorKeysRotate', route: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/rotate', methods: { POST: rotateProtectorKey } },
  {
    name: 'pinResetProtectorKeyRetire',
    route: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/versions/{kid}/retire',
    methods: { POST: retireProtectorKeyVersion },
  },
];
