import { z } from 'zod';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { tenantSettingsOrDefaults } from '../shared/services/active-tenant.js';
import { buildClientPolicy } from '../shared/services/client-policy.js';

const omaSetting = z.object({
  '@odata.type': z.enum(['#microsoft.graph.omaSettingBoolean', '#microsoft.graph.omaSettingInteger', '#microsoft.graph.omaSettingString']),
  displayName: z.string(),
  description: z.string(),
  omaUri: z.string(),
  value: z.union([z.boolean(), z.number(), z.string()]),
});

export const clientPolicySchema = z.object({
  '@odata.type': z.literal('#microsoft.graph.windows10CustomConfiguration'),
  displayName: z.string(),
  description: z.string(),
  omaSettings: z.array(omaSetting),
}).meta({ id: 'pinRecoveryPolicy' });

export const getClientPolicy = defineOperation({
  operationId: 'pinRecoveryPolicy_get',
  summary: 'The device policy for PIN recovery with this tenant: a body to POST unchanged to Graph deviceManagement/deviceConfigurations; Group Policy equivalents in its descriptions.',
  tags: ['settings'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: { 200: { description: 'A windows10CustomConfiguration.', schema: clientPolicySchema } },
  async handle(context) {
    const tenantId = userOf(context).tenantId;
    const [settings, tenant] = await Promise.all([
      tenantSettingsOrDefaults(context.services.tenantSettings, tenantId),
      context.services.tenants.get(tenantId),
    ]);
    return json(200, buildClientPolicy(tenantId, settings, tenant?.value.displayName ?? null));
  },
});

export const clientPolicyRoutes: RouteDefinition[] = [
  { name: 'pinRecoveryPolicy', route: 'v1.0/organization/{tid:guid}/pinRecoveryPolicy', methods: { GET: getClientPolicy } },
];
