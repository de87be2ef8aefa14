import { z } from 'zod';
import { notFound } from '../shared/domain/errors.js';
import { graphCollection, graphEntity } from '../shared/http/graph-responses.js';
import type { ODataSpec } from '../shared/http/odata.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { getOrganization, ORGANIZATION_PROPERTIES } from '../shared/services/organization.js';

const organizationOData: ODataSpec = { entityType: 'Microsoft.DirectoryServices.Organization', selectable: ORGANIZATION_PROPERTIES };

export const organizationSchema = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  verifiedDomains: z.array(z.object({ capabilities: z.string(), isDefault: z.boolean(), isInitial: z.boolean(), name: z.string(), type: z.string() })).nullable(),
  tenantType: z.string().nullable(),
  createdDateTime: z.string().nullable(),
}).meta({ id: 'organization' });

export const listOrganization = defineOperation({
  operationId: 'organization_list',
  summary: "The caller's organization (one entity). Works before onboarding: only id is known then.",
  tags: ['organization'],
  auth: 'user',
  odata: organizationOData,
  responses: { 200: { description: 'A collection holding the caller\'s organization.', schema: z.object({ value: z.array(organizationSchema) }) } },
  async handle(context) {
    const organization = await getOrganization(context.services.tenants, userOf(context).tenantId);
    return graphCollection(context, 'organization', [organization]);
  },
});

export const getOrganizationById = defineOperation({
  operationId: 'organization_get',
  summary: "The caller's organization by id; any other id is 404.",
  tags: ['organization'],
  auth: 'user',
  odata: organizationOData,
  responses: { 200: { description: 'The organization.', schema: organizationSchema }, 404: { description: 'Not the caller\'s tenant.' } },
  async handle(context) {
    const tenantId = userOf(context).tenantId;
    if (context.params.id?.toLowerCase() !== tenantId) throw notFound(`Resource '${context.params.id ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
    return graphEntity(context, 'organization', await getOrganization(context.services.tenants, tenantId));
  },
});

export const organizationRoutes: RouteDefinition[] = [
  { name: 'organization', route: 'v1.0/organization', methods: { GET: listOrganization } },
  { name: 'organizationById', route: 'v1.0/organization/{id}', methods: { GET: getOrganizationById } },
];
