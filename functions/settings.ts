import { tenantSettingsPatchSchema, tenantSettingsSchema } from '../shared/contract/settings.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { userInitiator } from '../shared/domain/audit.js';

export const getTenantSettings = defineOperation({
  operationId: 'pinResetSettings_get',
  summary: "The tenant's PIN reset settings (defaults until an administrator changes them), with an ETag.",
  tags: ['settings'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: { 200: { description: 'The settings; ETag header for If-Match.', schema: tenantSettingsSchema, headers: ['ETag'] } },
  async handle(context) {
    const { settings, etag } = await context.services.tenantSettingsService.get(userOf(context).tenantId);
    return json(200, settings, { ETag: etag });
  },
});

export const patchTenantSettings = defineOperation({
  operationId: 'pinResetSettings_update',
  summary: 'Merge-patches the settings. If-Match is honoured (412 when stale); validation errors name the field.',
  tags: ['settings'],
  auth: 'admin',
  tenantParam: 'tid',
  body: { schema: tenantSettingsPatchSchema },
  headers: [{ name: 'If-Match', description: 'The ETag of a GET: the change applies only to that version (412 otherwise); * or absent applies to any.' }],
  responses: {
    200: { description: 'The settings after the change; ETag header.', schema: tenantSettingsSchema, headers: ['ETag'] },
    400: { description: 'A value is invalid; the message names the field.' },
    412: { description: 'If-Match does not match the current ETag.' },
  },
  async handle(context) {
    const ifMatch = context.request.headers.get('if-match') ?? undefined;
    const { settings, etag } = await context.services.tenantSettingsService.patch(
      userOf(context).tenantId,
      context.body,
      ifMatch,
      userInitiator(userOf(context)),
      context.ids.requestId,
    );
    return json(200, settings, { ETag: etag });
  },
});

export const settingsRoutes: RouteDefinition[] = [
  { name: 'pinResetSettings', route: 'v1.0/organization/{tid:guid}/pinResetSettings', methods: { GET: getTenantSettings, PATCH: patchTenantSettings } },
];
