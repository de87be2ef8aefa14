import { healthSchema } from '../shared/contract/health.js';
import { defineOperation } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { serviceVersion } from '../shared/version.js';

export const getHealth = defineOperation({
  operationId: 'health_get',
  summary: 'Liveness and storage reachability.',
  tags: ['operations'],
  auth: 'anonymous',
  responses: {
    200: { description: 'Healthy.', schema: healthSchema },
    503: { description: 'Storage unreachable (Retry-After).', schema: healthSchema, headers: ['Retry-After'] },
  },
  async handle(context) {
    try {
      await context.services.tables.ping();
      return json(200, { status: 'ok', storage: 'ok', version: serviceVersion() });
    } catch {
      return json(503, { status: 'degraded', storage: 'unreachable', version: serviceVersion() }, { 'Retry-After': '10' });
    }
  },
});

export const healthRoutes: RouteDefinition[] = [{ name: 'health', route: 'health', methods: { GET: getHealth } }];
