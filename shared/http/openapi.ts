import { z } from 'zod';
import type { OpenApiDocument } from '../contract/health.js';
import { serviceVersion } from '../version.js';
import { statusOf } from './error-catalogue.js';
import type { AnyOperation, AuthRequirement, ResponseSpecs } from './pipeline.js';
import type { RouteDefinition } from './route-table.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'innerError'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        innerError: { type: 'object', properties: { date: { type: 'string' }, 'request-id': { type: 'string' }, 'client-request-id': { type: 'string' } } },
      },
    },
  },
};

function securityOf(auth: AuthRequirement): Record<string, string[]>[] | undefined {
  switch (auth) {
    case 'anonymous': return [];
    case 'device': return [{ deviceAssertion: [] }];
    case 'userOrDevice': return [{ entraBearer: [] }, { deviceAssertion: [] }];
    default: return [{ entraBearer: [] }];
  }
}

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
}

function operationObject(operation: AnyOperation, route: string): Record<string, unknown> {
  const parameters: unknown[] = [...route.matchAll(/\{(\w+)(:guid)?\}/g)].map((match) => ({
    name: match[1], in: 'path', required: true, schema: match[2] ? { type: 'string', format: 'uuid' } : { type: 'string' },
  }));
  for (const parameter of operation.queryParameters ?? []) parameters.push({ name: parameter.name, in: 'query', required: parameter.required ?? false, description: parameter.description, schema: { type: 'string' } });
  const odata = operation.odata;
  if (odata?.selectable) parameters.push({ name: '$select', in: 'query', description: `Comma list of: ${odata.selectable.join(', ')}`, schema: { type: 'string' } });
  if (odata?.top) parameters.push({ name: '$top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 999 } });
  if (odata?.filterable) parameters.push({ name: '$filter', in: 'query', description: `Supported: ${Object.entries(odata.filterable).map(([name, spec]) => `${name} ${spec.operators.join('|')}`).join('; ')}`, schema: { type: 'string' } });
  if (odata?.skiptoken) parameters.push({ name: '$skiptoken', in: 'query', description: 'From @odata.nextLink.', schema: { type: 'string' } });

  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses as ResponseSpecs)) {
    responses[status] = response.schema
      ? { description: response.description, content: { 'application/json': { schema: jsonSchema(response.schema) } } }
      : { description: response.description };
  }
  const errorStatuses = new Set([400, 500]);
  if (operation.auth !== 'anonymous') errorStatuses.add(statusOf('InvalidAuthenticationToken'));
  if (operation.auth === 'admin' || operation.auth === 'passcodeAdmin') errorStatuses.add(statusOf('Authorization_RequestDenied'));
  for (const status of errorStatuses) {
    responses[String(status)] ??= { description: 'Graph error envelope.', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [...operation.tags],
    security: securityOf(operation.auth),
    ...(parameters.length ? { parameters } : {}),
    ...(operation.body
      ? { requestBody: { required: true, content: { [operation.body.format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: jsonSchema(operation.body.schema) } } } }
      : {}),
    responses,
  };
}

/** OpenAPI 3.1 built from the route table and the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[], baseUrl: string): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.route.includes('{*')) continue;
    const item: Record<string, unknown> = {};
    for (const [method, operation] of Object.entries(route.methods)) {
      if (operation) item[method.toLowerCase()] = operationObject(operation, route.route);
    }
    paths[`/${route.route.replace(/\{(\w+):guid\}/g, '{$1}')}`] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'PIN reset service',
      version: serviceVersion(),
      description: 'Windows Hello for Business non-destructive PIN reset and Intune-style passcode reset, with a Microsoft Graph-style API.',
    },
    servers: [{ url: baseUrl }],
    components: {
      securitySchemes: {
        entraBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Entra ID access token for the PIN reset service app.' },
        deviceAssertion: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'DeviceAssertion <ES256 JWT signed by the enrolled device key>.' },
      },
      schemas: { error: ERROR_SCHEMA },
    },
    paths,
  };
}
