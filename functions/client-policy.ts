import { pinRecoveryPolicySchema } from '../shared/contract/settings.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { tenantSettingsOrDefaults } from '../shared/services/active-tenant.js';
import { buildClientPolicy } from '../shared/services/client-policy.js';

export const getClientPolicy = defineOperation({
  operationId: 'pinRecoveryPolicy_get',
  summary:
    'The device policy for PIN recovery with this tenant: a body to POST unchanged to Graph deviceManagement/deviceConfigurations; Group Policy equivalents in its descriptions.',
  tags: ['settings'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: { 200: { description: 'A windows10CustomConfiguration.', schema: pinRecoveryPolicySchema } },
  async handle(context) {
    const tenantId = userOf(context).tenantId;
    const [settings, tenant] = await Promise.all([tenantSettingsOrDefaults(context.services.tenantSettings, tenantId), context.services.tenants.get(tenantId)]);
    return json(200, buildClientPolicy(tenantId, settings, tenant?.value.displayName ?? null));
  },
});

export const clientPolicyRoutes: RouteDefinition[] = [
  { name: 'pinRecoveryPolicy', route: 'v1.0/organization/{tid:guid}/pinRecoveryPolicy', methods: { GET: getClientPolicy } },
];
