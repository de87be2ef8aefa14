import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { errorStatusesOf, openApiPath } from '../../shared/http/openapi.js';
import { useLocalHost } from '../support/local-host.js';
import { OpenApiConformance } from '../support/openapi-conformance.js';

const host = useLocalHost();

type Json = Record<string, any>;

async function servedDocument(): Promise<{ text: string; document: Json; contentType: string | null }> {
  const response = await host.request('/openapi.json');
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, document: JSON.parse(text) as Json, contentType: response.headers.get('content-type') };
}

function operationsOf(document: Json): [string, string, Json][] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, operation]) => [path, method, operation as Json] as [string, string, Json]),
  );
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const inner of value) refsIn(inner, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

function resolve(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Json)[part] : undefined), document);
}

describe('GET /openapi.json', () => {
  it('is accepted by an OpenAPI 3.1 schema validator', async () => {
    const { document, contentType } = await servedDocument();
    expect(contentType).toMatch(/^application\/json/);
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });

  it("passes Redocly's recommended ruleset with 0 errors and no unresolved reference", async () => {
    const { text } = await servedDocument();
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, text);
      const cli = join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--extends', 'recommended', '--format', 'json'], {
        maxBuffer: 32 * 1024 * 1024,
      }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string }[] };
      expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
      expect(report.totals.errors).toBe(0);
      expect(report.problems.filter((problem) => problem.ruleId === 'no-unresolved-refs')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('resolves every $ref inside the document, to a named component schema', async () => {
    const { document } = await servedDocument();
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((ref) => resolve(document, ref) === undefined)).toEqual([]);
    expect(refs.filter((ref) => ref.includes('$defs'))).toEqual([]);
    for (const [name, schema] of Object.entries(document.components.schemas as Json)) {
      expect(schema, name).not.toHaveProperty('$id');
      expect(schema, name).not.toHaveProperty('$schema');
    }
  });

  it('describes every operation of the route table once, with a unique operationId, security and an example', async () => {
    const { document } = await servedDocument();
    const operations = operationsOf(document);
    const expected = ROUTES.flatMap((route) =>
      openApiPath(route.route) ? Object.keys(route.methods).map((method) => `${method.toLowerCase()} ${openApiPath(route.route)}`) : [],
    );
    expect(operations.map(([path, method]) => `${method} ${path}`).sort()).toEqual(expected.sort());
    const ids = operations.map(([, , operation]) => operation.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, method, operation] of operations) {
      const where = `${method} ${path}`;
      expect(operation.security, where).toBeDefined();
      const media = Object.values(operation.responses as Json).flatMap((response) => Object.values((response as Json).content ?? {}) as Json[]);
      expect(
        media.some((entry) => entry.example !== undefined),
        `${where} has an example`,
      ).toBe(true);
    }
  });

  it("gives every error status an operation can answer, the pipeline's included, the Graph error envelope", async () => {
    const { document } = await servedDocument();
    for (const route of ROUTES) {
      const path = openApiPath(route.route);
      if (!path) continue;
      for (const [method, operation] of Object.entries(route.methods)) {
        if (!operation) continue;
        const responses = document.paths[path][method.toLowerCase()].responses as Json;
        for (const status of errorStatusesOf(operation, route)) {
          const schema = responses[String(status)]?.content?.['application/json']?.schema;
          const envelope = { $ref: '#/components/schemas/graphError' };
          expect(schema.anyOf ? schema.anyOf : [schema], `${method} ${path} ${status}`).toContainEqual(envelope);
        }
        for (const status of [400, 405, 413, 503]) expect(responses[String(status)], `${method} ${path} ${status}`).toBeDefined();
        if (operation.auth !== 'anonymous') expect(responses['401'], `${method} ${path} 401`).toBeDefined();
        if (operation.tenantParam) expect(responses['404'], `${method} ${path} 404`).toBeDefined();
        if (operation.body) expect(responses['415'], `${method} ${path} 415`).toBeDefined();
      }
    }
  });

  it('requires no property that $select can drop', async () => {
    const { document } = await servedDocument();
    const selecting = operationsOf(document).filter(([, , operation]) => (operation.parameters as Json[]).some((parameter) => parameter.name === '$select'));
    expect(selecting.length).toBeGreaterThanOrEqual(4);
    for (const [path, method, operation] of selecting) {
      const schema = resolve(document, operation.responses['200'].content['application/json'].schema.$ref) as Json;
      const itemRef: string = schema.properties.value ? schema.properties.value.items.$ref : undefined;
      const entity = itemRef ? (resolve(document, itemRef) as Json) : schema;
      expect(entity.required ?? [], `${method} ${path}`).toEqual([]);
    }
  });

  it("declares the form bodies the development authority's POST endpoints read, requiring none of their fields (the authority answers Entra's errors)", async () => {
    const { document } = await servedDocument();
    const formFields = (path: string) => {
      const body = document.paths[path].post.requestBody as Json | undefined;
      expect(body, `POST ${path} declares no request body`).toBeDefined();
      expect(body?.required, `POST ${path}: an empty body gets the authority's error, not a validator's`).toBe(false);
      const schemaRef = body?.content['application/x-www-form-urlencoded'].schema as Json;
      const schema = (schemaRef.$ref ? resolve(document, schemaRef.$ref) : schemaRef) as Json;
      expect(schema.required ?? [], `POST ${path}`).toEqual([]);
      return Object.keys(schema.properties as Json);
    };
    expect(formFields('/dev/login/{tenant}/oauth2/v2.0/token')).toEqual(
      expect.arrayContaining(['grant_type', 'client_id', 'code', 'code_verifier', 'redirect_uri', 'refresh_token', 'device_code', 'scope', 'claims']),
    );
    expect(formFields('/dev/login/{tenant}/oauth2/v2.0/devicecode')).toEqual(expect.arrayContaining(['client_id', 'scope', 'claims']));
    expect(formFields('/dev/login/{tenant}/oauth2/v2.0/authorize')).toEqual(expect.arrayContaining(['step', 'interaction']));
    expect(formFields('/dev/login/devicelogin')).toEqual(expect.arrayContaining(['step', 'otc']));
  });

  it("types resetPasscodeActionResult.errorCode as Graph's Int32 (integer, format int32), so generated clients read an int", async () => {
    const { document } = await servedDocument();
    expect(document.components.schemas.resetPasscodeActionResult.properties.errorCode).toMatchObject({
      type: 'integer',
      format: 'int32',
      minimum: 0,
      maximum: 2_147_483_647,
    });
  });

  it('declares HTML pages as text/html and the headers Idempotency-Key, If-Match, Reveal-Reason and the bearer and DeviceAssertion schemes', async () => {
    const { document } = await servedDocument();
    expect(Object.keys(document.paths['/onboarding/callback'].get.responses['200'].content)).toEqual(['text/html']);
    expect(Object.keys(document.paths['/openapi.json'].get.responses['200'].content)).toEqual(['application/json']);
    const headerNames = (path: string, method: string) =>
      (document.paths[path][method].parameters as Json[]).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);
    expect(headerNames('/v1.0/deviceManagement/managedDevices/{id}/resetPasscode', 'post')).toContain('Idempotency-Key');
    expect(headerNames('/v1.0/organization/{tid}/pinResetSettings', 'patch')).toContain('If-Match');
    expect(headerNames('/v1.0/deviceManagement/managedDevices/{id}', 'get')).toContain('Reveal-Reason');
    expect(document.components.securitySchemes.entraBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/v1.0/devices/{id}/pendingActions'].get.security).toEqual([{ deviceAssertion: [] }]);
    expect(document.paths['/v1.0/deviceManagement/managedDevices'].get.security).toEqual([{ entraBearer: [] }]);
  });
});

describe('the conformance check every local-host answer goes through', () => {
  const conformance = new OpenApiConformance();
  const route = 'v1.0/organization';

  it('accepts an answer that matches its operation and status', () => {
    const body = JSON.stringify({ '@odata.context': 'x', value: [{ id: 'a' }] });
    expect(conformance.violation({ method: 'GET', route, status: 200, contentType: 'application/json', body })).toBeUndefined();
  });

  it('flags a body that does not match the schema, an undeclared status and an error without the envelope', () => {
    expect(conformance.violation({ method: 'GET', route, status: 200, contentType: 'application/json', body: JSON.stringify({ value: [{ id: 7 }] }) })).toMatch(
      /must be string/,
    );
    expect(conformance.violation({ method: 'GET', route, status: 418, contentType: 'application/json', body: '{}' })).toMatch(/not declared/);
    expect(conformance.violation({ method: 'GET', route, status: 404, contentType: 'application/json', body: '{"message":"no"}' })).toBeDefined();
    expect(conformance.violation({ method: 'GET', route: undefined, status: 404, contentType: 'application/json', body: '{"error":{}}' })).toMatch(
      /required property/,
    );
  });
});
