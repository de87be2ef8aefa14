import type { OpenApiDocument } from '../shared/contract/health.js';
import { buildOpenApiDocument, openApiPath, permissionOf } from '../shared/http/openapi.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/**
 * `docs/api.md`: the API reference, rendered from the route table and the OpenAPI document built
 * from it (`npm run docs:api` writes it; a test keeps it current). Per route: permissions, request
 * (parameters, headers, body), responses, errors and an example.
 */

// biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary JSON document
type Json = Record<string, any>;

const EXAMPLE_BASE_URL = 'https://pinreset.example.com';
const SCHEMA_PREFIX = '#/components/schemas/';

function schemaName(schema: Json | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(SCHEMA_PREFIX, '');
    return `[\`${name}\`](#${name.toLowerCase()})`;
  }
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(schemaName).join(' or ');
  return `\`${String(schema.type ?? 'any')}\``;
}

function typeOf(schema: Json): string {
  if (typeof schema.$ref === 'string') return schemaName(schema);
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((value) => `\`${String(value)}\``).join(' \\| ');
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(branches)) return branches.map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `array of ${schema.items ? typeOf(schema.items as Json) : 'any'}`;
  if (schema.type === 'object' && !schema.properties) return 'object';
  return `\`${Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any')}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function parametersTable(parameters: Json[]): string[] {
  const rows = parameters.filter((parameter) => !parameter.$ref);
  if (rows.length === 0) return [];
  return [
    '| Parameter | In | Required | Description |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (parameter) => `| \`${parameter.name}\` | ${parameter.in} | ${parameter.required ? 'yes' : 'no'} | ${cell(String(parameter.description ?? ''))} |`,
    ),
    '',
  ];
}

function exampleOf(operation: Json): { status: string; media: string; example: unknown } | undefined {
  for (const [status, response] of Object.entries(operation.responses as Json)) {
    for (const [media, content] of Object.entries((response as Json).content ?? {})) {
      if ((content as Json).example !== undefined) return { status, media, example: (content as Json).example };
    }
  }
  return undefined;
}

function operationSection(path: string, method: string, operation: Json, permission: string): string[] {
  const lines = [`### ${method.toUpperCase()} ${path}`, '', `\`${operation.operationId}\` — ${operation.summary}`, '', `**Permissions:** ${permission}`, ''];
  lines.push(...parametersTable(operation.parameters as Json[]));
  const body = operation.requestBody as Json | undefined;
  if (body) {
    for (const [media, content] of Object.entries(body.content as Json)) {
      lines.push(`**Request body** (\`${media}\`): ${schemaName((content as Json).schema)}`, '');
      if ((content as Json).example !== undefined) lines.push('```json', JSON.stringify((content as Json).example, null, 2), '```', '');
    }
  }
  const responses = Object.entries(operation.responses as Json);
  const success = responses.filter(([status]) => Number(status) < 400);
  const errors = responses.filter(([status]) => Number(status) >= 400);
  lines.push('**Responses:**', '', '| Status | Body | Headers | Description |', '| --- | --- | --- | --- |');
  for (const [status, response] of success) {
    const content = Object.entries((response as Json).content ?? {})
      .map(([media, value]) => (media === 'application/json' ? schemaName((value as Json).schema) : `\`${media}\``))
      .join(', ');
    const headers = Object.keys((response as Json).headers ?? {})
      .filter((name) => name !== 'request-id' && name !== 'client-request-id')
      .map((name) => `\`${name}\``)
      .join(', ');
    lines.push(`| ${status} | ${content || '(none)'} | ${headers} | ${cell(String((response as Json).description))} |`);
  }
  lines.push(
    '',
    `**Errors** (Graph error envelope${errors.some(([, response]) => (response as Json).content?.['text/html']) ? '; HTML pages where noted' : ''}):`,
    '',
  );
  for (const [status, response] of errors) {
    const html = (response as Json).content?.['text/html'] ? ' (HTML page)' : '';
    lines.push(`- ${status}${html}: ${String((response as Json).description)}`);
  }
  lines.push('');
  const example = exampleOf(operation);
  if (example) {
    lines.push(`**Example** (${example.status}, \`${example.media}\`):`, '', '```json', JSON.stringify(example.example, null, 2), '```', '');
  }
  return lines;
}

function schemaSection(name: string, schema: Json): string[] {
  const lines = [`### ${name}`, ''];
  if (schema.description) lines.push(String(schema.description), '');
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) {
    lines.push(`Type: ${typeOf(schema)}.`, '');
    return lines;
  }
  const required = new Set((schema.required ?? []) as string[]);
  lines.push('| Property | Type | Required | Description |', '| --- | --- | --- | --- |');
  for (const [property, propertySchema] of Object.entries(properties)) {
    lines.push(
      `| \`${property}\` | ${cell(typeOf(propertySchema))} | ${required.has(property) ? 'yes' : 'no'} | ${cell(String(propertySchema.description ?? ''))} |`,
    );
  }
  lines.push('');
  return lines;
}

/** The Markdown reference of every route of the table. */
export function renderApiReference(routes: readonly RouteDefinition[]): string {
  const document = buildOpenApiDocument(routes, EXAMPLE_BASE_URL) as OpenApiDocument & Json;
  const lines = [
    '# API reference',
    '',
    '<!-- Generated by `npm run docs:api` from the route table (functions/routes.ts) and the contract',
    '     (shared/contract). Do not edit by hand: test/unit/api-reference.test.ts fails when it is stale. -->',
    '',
    "Every response carries `request-id` and `client-request-id`; every error is Graph's envelope",
    '`{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}` (see',
    '[`graphError`](#grapherror)). The machine-readable description is served at `GET /openapi.json`.',
    "Examples use `https://pinreset.example.com` as the service's base URL.",
    'On `/v1.0/` routes an OData system query option may also be written without its `$`, as Graph allows',
    '(`select=id` is `$select=id`); an option a route does not support is a 400, never ignored. A request',
    'body may be compressed (`Content-Encoding` gzip, deflate or br; 64 KiB once inflated); any other coding is 415.',
    '',
    '## Routes',
    '',
  ];
  for (const route of routes) {
    const path = openApiPath(route.route);
    if (!path) continue;
    for (const [method, operation] of Object.entries(route.methods)) {
      if (!operation) continue;
      const object = (document.paths as Json)[path]?.[method.toLowerCase()] as Json;
      const permission = `${permissionOf(operation)}${route.devOnly ? ' Development mode only (404 otherwise).' : ''}`;
      lines.push(...operationSection(path, method, object, permission));
    }
  }
  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries(document.components.schemas as Record<string, Json>).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(...schemaSection(name, schema));
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
