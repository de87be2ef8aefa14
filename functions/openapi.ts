import { buildOpenApiDocument } from '../shared/http/openapi.js';
import { openApiDocumentSchema, type OpenApiDocument } from '../shared/contract/health.js';
import { defineOperation } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

let document: OpenApiDocument | undefined;

export const getOpenApi = defineOperation({
  operationId: 'openapi_get',
  summary: 'OpenAPI 3.1 description of every route.',
  tags: ['operations'],
  auth: 'anonymous',
  responses: { 200: { description: 'The OpenAPI document.', schema: openApiDocumentSchema } },
  async handle(context) {
    // Imported here, not at module load: the route table imports this module.
    const { ROUTES } = await import('./routes.js');
    document ??= buildOpenApiDocument(ROUTES, context.config.publicBaseUrl);
    return json(200, document, { 'Cache-Control': 'max-age=3600' });
  },
});

export const openApiRoutes: RouteDefinition[] = [{ name: 'openapi', route: 'openapi.json', methods: { GET: getOpenApi } }];
