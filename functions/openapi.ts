import { buildOpenApiDocument } from '../shared/http/openapi.js';
import { defineOperation } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

let document: string | undefined;

export const getOpenApi = defineOperation({
  operationId: 'openapi_get',
  summary: 'OpenAPI 3.1 description of every route.',
  tags: ['operations'],
  auth: 'anonymous',
  responses: { 200: { description: 'The OpenAPI document.' } },
  async handle(context) {
    // Imported here, not at module load: the route table imports this module.
    const { ROUTES } = await import('./routes.js');
    document ??= JSON.stringify(buildOpenApiDocument(ROUTES, context.config.publicBaseUrl));
    return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'max-age=3600' }, body: document };
  },
});

export const openApiRoutes: RouteDefinition[] = [{ name: 'openapi', route: 'openapi.json', methods: { GET: getOpenApi } }];
