import { ORGANIZATION_PROPERTIES, organizationCollectionSchema, organizationEntitySchema } from '../shared/contract/organization.js';
import { notFound } from '../shared/domain/errors.js';
import { graphCollection, graphEntity } from '../shared/http/graph-responses.js';
import type { ODataSpec } from '../shared/http/odata.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { getOrganization } from '../shared/services/organization.js';

const organizationOData: ODataSpec = { entityType: 'Microsoft.DirectoryServices.Organization', selectable: ORGANIZATION_PROPERTIES };

export const listOrganization = defineOperation({
  operationId: 'organization_list',
  summary: "The caller's organization (one entity). Works before onboarding: only id is known then.",
  tags: ['organization'],
  auth: 'user',
  odata: organizationOData,
  responses: { 200: { description: "A collection holding the caller's organization.", schema: organizationCollectionSchema } },
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
  responses: { 200: { description: 'The organization.', schema: organizationEntitySchema }, 404: { description: "Not the caller's tenant." } },
  async handle(context) {
    const tenantId = userOf(context).tenantId;
    if (context.params.id?.toLowerCase() !== tenantId)
      throw notFound(`Resource '${context.params.id ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
    return graphEntity(context, 'organization', await getOrganization(context.services.tenants, tenantId));
  },
});

export const organizationRoutes: RouteDefinition[] = [
  { name: 'organization', route: 'v1.0/organization', methods: { GET: listOrganization } },
  { name: 'organizationById', route: 'v1.0/organization/{id}', methods: { GET: getOrganizationById } },
];
