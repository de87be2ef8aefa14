import { notFound } from '../shared/domain/errors.js';
import { defineOperation } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

const unknownResource = defineOperation({
  operationId: 'not_found',
  summary: 'Any path no route serves.',
  tags: ['operations'],
  auth: 'anonymous',
  catchAll: true,
  responses: { 404: { description: 'No such resource.' } },
  async handle(context) {
    throw notFound(`Resource not found for the segment '${context.params.path ?? ''}'.`);
  },
});

/** Catch-all, so an unknown path is Graph's 404 envelope under func start too (literal routes win). */
export const notFoundRoutes: RouteDefinition[] = [
  {
    name: 'notFound',
    route: '{*path}',
    methods: { GET: unknownResource, POST: unknownResource, PATCH: unknownResource, PUT: unknownResource, DELETE: unknownResource },
  },
];
