import { z } from 'zod';
import type { OpenApiDocument } from '../contract/health.js';
import { graphErrorSchema } from '../contract/graph.js';
import { serviceVersion } from '../version.js';
import { exampleOf, type JsonSchema } from './openapi-examples.js';
import { MAX_BODY_BYTES, readsBody, type AnyOperation, type AuthRequirement, type ResponseSpec, type ResponseSpecs } from './pipeline.js';
import type { RouteDefinition } from './route-table.js';

/**
 * The OpenAPI 3.1 description, built from the route table and the contract's zod schemas (the same
 * ones that validate requests and type the handlers' answers). Every named schema is a component;
 * every error status an operation can answer (its own and the pipeline's) carries Graph's envelope.
 */

const COMPONENT_PREFIX = '#/components/schemas/';
const SHARED_DEFS = '__shared';

/** Error statuses the pipeline itself can answer, and why. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request: the body, a query option or a header is invalid (the message names it).',
  401: 'No valid credential (WWW-Authenticate says which).',
  403: 'The caller lacks the role, or the tenant is not onboarded.',
  404: "No such resource for the caller (other tenants' resources are never revealed).",
  405: 'The method is not supported on this path (Allow lists the ones that are).',
  408: 'The request head or body took too long to arrive.',
  409: "Conflict with the resource's current state.",
  412: 'If-Match does not match the current ETag.',
  413: `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`,
  415: 'The request body has another media type than the operation accepts.',
  422: 'The Idempotency-Key was already used with a different request.',
  429: 'Too many requests (Retry-After says when to retry).',
  431: 'The request head is too large.',
  500: 'A bug: quote the request-id when reporting it.',
  503: 'A dependency (storage, keys, the identity provider) is unavailable; retry after Retry-After seconds.',
};

function isDeviceAuth(auth: AuthRequirement): boolean {
  return auth === 'device' || auth === 'userOrDevice';
}

/** Every error status the operation can answer, from its declaration and the pipeline's rules. */
export function errorStatusesOf(operation: AnyOperation, route: RouteDefinition): number[] {
  const statuses = new Set<number>([400, 405, 408, 413, 431, 500, 503]);
  const { auth } = operation;
  if (auth !== 'anonymous') statuses.add(401);
  if (auth === 'admin' || auth === 'passcodeAdmin' || isDeviceAuth(auth) || operation.requires === 'activeTenant') statuses.add(403);
  if (operation.tenantParam !== undefined || /\{\w+(:guid)?\}/.test(route.route) || route.devOnly) statuses.add(404);
  if (Object.entries(route.methods).some(([method, candidate]) => candidate === operation && readsBody(operation, method))) statuses.add(415);
  if (operation.idempotent) {
    statuses.add(409);
    statuses.add(422);
  }
  for (const [status, spec] of Object.entries(operation.responses as ResponseSpecs)) {
    if (Number(status) >= 400 && !spec.schema && !spec.html && !spec.media) statuses.add(Number(status));
  }
  return [...statuses].sort((a, b) => a - b);
}

function securityOf(auth: AuthRequirement): Record<string, string[]>[] {
  switch (auth) {
    case 'anonymous':
      return [];
    case 'device':
      return [{ deviceAssertion: [] }];
    case 'userOrDevice':
      return [{ entraBearer: [] }, { deviceAssertion: [] }];
    default:
      return [{ entraBearer: [] }];
  }
}

const AUTH_TEXT: Readonly<Record<AuthRequirement, string>> = {
  anonymous: 'Anonymous.',
  user: 'A user access token for the service app (Bearer).',
  mfaUser: 'A user access token with recent MFA (Bearer); without it 401 MfaRequired with a claims challenge.',
  admin: "An administrator's access token (Bearer): a configured directory role in wids, or the PinReset.Administrator app role.",
  passcodeAdmin: "An administrator's access token (Bearer) with a role allowed to reset passcodes.",
  device: "A DeviceAssertion signed by the enrolled device key; the device's tenant must be onboarded.",
  userOrDevice: 'A user access token (Bearer) or a DeviceAssertion of a device of that tenant.',
};

export function permissionOf(operation: AnyOperation): string {
  const parts = [AUTH_TEXT[operation.auth]];
  if (operation.tenantParam) parts.push(`{${operation.tenantParam}} must be the caller's own tenant (404 otherwise).`);
  if (operation.requires === 'activeTenant') parts.push('The tenant must be onboarded (403 otherwise).');
  return parts.join(' ');
}

/** Named zod schemas → one registry → components; unnamed top-level ones get names from the operation. */
class SchemaCollector {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<z.ZodType, string>();

  ref(schema: z.ZodType, fallbackName: string): { $ref: string } {
    let name = this.names.get(schema);
    if (!name) {
      name = z.globalRegistry.get(schema)?.id ?? fallbackName;
      if ([...this.names.values()].includes(name)) throw new Error(`OpenAPI: two schemas are named '${name}'.`);
      this.names.set(schema, name);
      this.registry.add(schema, { id: name });
    }
    return { $ref: `${COMPONENT_PREFIX}${name}` };
  }

  /** JSON Schema 2020-12 components; nested named schemas are hoisted next to the others. */
  components(): Record<string, JsonSchema> {
    const { schemas } = z.toJSONSchema(this.registry, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      uri: (id) => `${COMPONENT_PREFIX}${id}`,
    }) as { schemas: Record<string, JsonSchema> };
    const result: Record<string, JsonSchema> = {};
    const shared = (schemas[SHARED_DEFS]?.$defs ?? {}) as Record<string, JsonSchema>;
    for (const [name, schema] of [...Object.entries(schemas), ...Object.entries(shared)]) {
      if (name === SHARED_DEFS) continue;
      if (result[name]) throw new Error(`OpenAPI: two schemas are named '${name}'.`);
      const { $schema: _schema, $id: _id, ...rest } = schema;
      result[name] = rest;
    }
    return rewriteRefs(result) as Record<string, JsonSchema>;
  }
}

/** `#/components/schemas/__shared#/$defs/X` (zod's pointer to a nested named schema) → `#/components/schemas/X`. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof inner === 'string' ? inner.replace(`${COMPONENT_PREFIX}${SHARED_DEFS}#/$defs/`, COMPONENT_PREFIX) : rewriteRefs(inner);
  }
  return out;
}

const STANDARD_RESPONSE_HEADERS = {
  'request-id': { $ref: '#/components/headers/request-id' },
  'client-request-id': { $ref: '#/components/headers/client-request-id' },
};

const HEADER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  ETag: 'The entity tag of the answered version.',
  'Cache-Control': 'How long the answer may be cached.',
  Location: 'Where to go next.',
  'Retry-After': 'Seconds to wait before retrying.',
  'WWW-Authenticate': 'The authentication scheme and, for MfaRequired, the claims challenge.',
  Allow: 'The methods the path supports.',
};

function responseHeaders(names: readonly string[]): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...STANDARD_RESPONSE_HEADERS };
  for (const name of names) headers[name] = { description: HEADER_DESCRIPTIONS[name] ?? name, schema: { type: 'string' } };
  return headers;
}

function errorHeaders(status: number): readonly string[] {
  if (status === 401) return ['WWW-Authenticate'];
  if (status === 405) return ['Allow'];
  if (status === 429 || status === 503) return ['Retry-After'];
  return [];
}

const HTML_CONTENT = { 'text/html': { schema: { type: 'string' } } };

interface Built {
  operation: Record<string, unknown>;
  /** Schemas of responses with a JSON body, by status (for examples). */
  jsonSchemas: Map<string, { $ref: string }>;
}

function parametersOf(operation: AnyOperation, route: string): unknown[] {
  const parameters: unknown[] = [...route.matchAll(/\{(\*?)(\w+)(:guid)?\}/g)].map((match) => ({
    name: match[2],
    in: 'path',
    required: true,
    schema: match[3] ? { type: 'string', format: 'uuid' } : { type: 'string' },
    ...(match[1] ? { description: 'The rest of the path; it may contain /.' } : {}),
  }));
  for (const parameter of operation.queryParameters ?? []) {
    parameters.push({
      name: parameter.name,
      in: 'query',
      required: parameter.required ?? false,
      description: parameter.description,
      schema: { type: 'string' },
    });
  }
  const odata = operation.odata;
  if (odata?.selectable)
    parameters.push({ name: '$select', in: 'query', description: `Comma list of: ${odata.selectable.join(', ')}.`, schema: { type: 'string' } });
  if (odata?.top) parameters.push({ name: '$top', in: 'query', description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 999 } });
  if (odata?.filterable) {
    const supported = Object.entries(odata.filterable)
      .map(([name, spec]) => `${name} ${spec.operators.join('|')}`)
      .join('; ');
    parameters.push({ name: '$filter', in: 'query', description: `Supported: ${supported} (clauses joined with and).`, schema: { type: 'string' } });
  }
  if (odata?.skiptoken) parameters.push({ name: '$skiptoken', in: 'query', description: 'Opaque; from @odata.nextLink.', schema: { type: 'string' } });
  for (const header of operation.headers ?? []) {
    parameters.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string' } });
  }
  parameters.push({ $ref: '#/components/parameters/client-request-id' });
  return parameters;
}

function buildOperation(operation: AnyOperation, route: RouteDefinition, schemas: SchemaCollector): Built {
  const responses: Record<string, unknown> = {};
  const jsonSchemas = new Map<string, { $ref: string }>();
  const errorStatuses = errorStatusesOf(operation, route);
  const errorContent = { 'application/json': { schema: schemas.ref(graphErrorSchema, 'graphError') } };
  for (const [status, spec] of Object.entries(operation.responses as ResponseSpecs) as [string, ResponseSpec][]) {
    const headers = responseHeaders([...(spec.headers ?? []), ...errorHeaders(Number(status))]);
    if (spec.schema) {
      const ref = schemas.ref(spec.schema, `${operation.operationId}_${status}`);
      jsonSchemas.set(status, ref);
      // An error status the pipeline may also answer (a 503 before the handler ran) carries either body.
      const schema = errorStatuses.includes(Number(status)) ? { anyOf: [ref, errorContent['application/json'].schema] } : ref;
      responses[status] = { description: spec.description, headers, content: { 'application/json': { schema } } };
    } else if (spec.html || spec.media) {
      // A page or an asset, or (for a fault the pipeline finds first) the JSON envelope at the same status.
      const pages = {
        ...(spec.html ? HTML_CONTENT : {}),
        ...Object.fromEntries((spec.media ?? []).map((media) => [media, { schema: { type: 'string' } }])),
      };
      const content = errorStatuses.includes(Number(status)) ? { ...pages, ...errorContent } : pages;
      responses[status] = { description: spec.description, headers, content };
    } else if (Number(status) >= 400) {
      responses[status] = { description: spec.description, headers, content: errorContent };
    } else {
      responses[status] = { description: spec.description, headers };
    }
  }
  for (const status of errorStatuses) {
    responses[String(status)] ??= { description: STATUS_TEXT[status] ?? 'Error.', headers: responseHeaders(errorHeaders(status)), content: errorContent };
  }
  const bodySpec = operation.body ?? operation.documentedBody;
  const requestBody = bodySpec
    ? {
        // A body the handler reads itself answers its own error when missing (Entra's, for the authority).
        required: operation.body !== undefined,
        content: {
          [bodySpec.format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: {
            schema: schemas.ref(bodySpec.schema, `${operation.operationId}_request`),
          },
        },
      }
    : undefined;
  return {
    operation: {
      operationId: operation.operationId,
      summary: operation.summary,
      description: `${operation.summary}\n\nPermissions: ${permissionOf(operation)}`,
      tags: [...operation.tags],
      security: securityOf(operation.auth),
      parameters: parametersOf(operation, route.route),
      ...(requestBody ? { requestBody } : {}),
      responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
    },
    jsonSchemas,
  };
}

/**
 * The OpenAPI path of a route template (`{id:guid}` → `{id}`; a trailing catch-all `{*path}` → `{path}`,
 * e.g. the admin center's assets), or undefined for the root catch-all (the 404 of every unknown path).
 */
export function openApiPath(route: string): string | undefined {
  return route.startsWith('{*') ? undefined : `/${route.replace(/\{\*?(\w+)(?::guid)?\}/g, '{$1}')}`;
}

/** Adds an example to each operation's first success response and request body (from the schema or the operation). */
function addExamples(
  paths: Record<string, Record<string, Record<string, unknown>>>,
  built: Map<Record<string, unknown>, Built>,
  components: Record<string, JsonSchema>,
  operations: Map<Record<string, unknown>, AnyOperation>,
): void {
  for (const item of Object.values(paths)) {
    for (const operationObject of Object.values(item)) {
      const entry = built.get(operationObject);
      const operation = operations.get(operationObject);
      if (!entry || !operation) continue;
      const responses = operationObject.responses as Record<string, { content?: Record<string, { schema: { $ref?: string }; example?: unknown }> }>;
      const success = Object.keys(responses).find((status) => Number(status) < 400 && responses[status]?.content);
      const media = success ? Object.entries(responses[success]?.content ?? {})[0]?.[1] : undefined;
      if (media) media.example = operation.example ?? exampleOf(media.schema as JsonSchema, components);
      else {
        // No body on success (204, 302): the example is of the error envelope.
        const error = Object.values(responses).find((response) => response.content?.['application/json']);
        const errorMedia = error?.content?.['application/json'];
        if (errorMedia) errorMedia.example = exampleOf(errorMedia.schema as JsonSchema, components);
      }
      const body = operationObject.requestBody as { content: Record<string, { schema: JsonSchema; example?: unknown }> } | undefined;
      for (const bodyMedia of Object.values(body?.content ?? {})) bodyMedia.example = exampleOf(bodyMedia.schema, components);
    }
  }
}

/** OpenAPI 3.1 built from the route table and the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[], baseUrl: string): OpenApiDocument {
  const schemas = new SchemaCollector();
  schemas.ref(graphErrorSchema, 'graphError');
  const paths: Record<string, Record<string, Record<string, unknown>>> = {};
  const built = new Map<Record<string, unknown>, Built>();
  const operations = new Map<Record<string, unknown>, AnyOperation>();
  const operationIds = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.route);
    if (!path) continue;
    const item: Record<string, Record<string, unknown>> = {};
    for (const [method, operation] of Object.entries(route.methods)) {
      if (!operation) continue;
      if (operationIds.has(operation.operationId)) throw new Error(`OpenAPI: operationId '${operation.operationId}' is used twice.`);
      operationIds.add(operation.operationId);
      const result = buildOperation(operation, route, schemas);
      item[method.toLowerCase()] = result.operation;
      built.set(result.operation, result);
      operations.set(result.operation, operation);
    }
    paths[path] = item;
  }
  const components = schemas.components();
  addExamples(paths, built, components, operations);
  const tags = [...new Set([...operations.values()].flatMap((operation) => operation.tags))]
    .sort()
    .map((name) => ({ name, description: `Operations tagged ${name}.` }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'PIN reset service',
      version: serviceVersion(),
      description: 'Windows Hello for Business non-destructive PIN reset and Intune-style passcode reset, with a Microsoft Graph-style API.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: baseUrl }],
    tags,
    components: {
      securitySchemes: {
        entraBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Entra ID access token for the PIN reset service app.' },
        deviceAssertion: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'DeviceAssertion <ES256 JWT signed by the enrolled device key>.' },
      },
      headers: {
        'request-id': { description: 'A new UUID for this answer.', schema: { type: 'string', format: 'uuid' } },
        'client-request-id': { description: 'Echoed from the request, else equal to request-id.', schema: { type: 'string' } },
      },
      parameters: {
        'client-request-id': {
          name: 'client-request-id',
          in: 'header',
          required: false,
          description: 'Echoed in the answer (at most 128 characters).',
          schema: { type: 'string' },
        },
      },
      schemas: components,
    },
    paths,
  };
}
