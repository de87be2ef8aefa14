import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import type { ODataSpec } from '../../shared/http/odata.js';
import type { AnyOperation } from '../../shared/http/pipeline.js';
import type { RouteDefinition } from '../../shared/http/route-table.js';
import { activateTenant } from '../support/active-tenant.js';
import type { DeviceClient } from '../support/device-client.js';
import { deviceHeaders, enrolledDevice } from '../support/devices.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, userToken } from '../support/tokens.js';

/**
 * The contract suite's kind of fuzzing, over HTTP against the local host: hostile OData options and
 * `$skiptoken`s on every route that takes OData, then thousands of random requests over every
 * operation. No answer may be a 5xx, and every answer is checked against /openapi.json by the local
 * host's recorder (test/support/local-host.ts): an answer the document does not describe fails the file.
 */
const host = useLocalHost();
useSimulatedMicrosoft();

let tid = '';
let admin: Record<string, string> = {};
let device: DeviceClient;

beforeAll(async () => {
  tid = await activateTenant();
  device = (await enrolledDevice(tid)).client;
  admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator], amr: ['pwd', 'mfa'] }));
}, 60_000);

async function credentialsFor(operation: AnyOperation, route: RouteDefinition): Promise<Record<string, string>> {
  if (operation.auth === 'anonymous') return {};
  if (operation.auth === 'device' || route.route.startsWith('v1.0/devices/')) return deviceHeaders(device);
  return admin;
}

/** The route with its parameters filled in with real values (own tenant, own device) or `segment`. */
function pathOf(route: string, segment?: string): string {
  return `/${route.replace(/\{\*\w+\}/, segment ?? 'no-such-thing').replace(/\{(\w+)(?::guid)?\}/g, (_all, name: string) => {
    if (segment !== undefined) return segment;
    if (name === 'tid' || name === 'tenant') return tid;
    if (name === 'id' && route.startsWith('v1.0/organization/')) return tid;
    return name === 'id' ? (device.deviceId ?? tid) : '00000000-0000-4000-8000-000000000001';
  })}`;
}

/** Percent-encodes arbitrary bytes (also invalid UTF-8): what a hostile client can put in a URL. */
const rawBytes = fc.uint8Array({ maxLength: 48 }).map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));
const text = fc.string({ unit: 'binary', maxLength: 40 });
const encoded = fc.oneof(
  text.map((value) => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ''))),
  rawBytes,
);

/** Strings that break careless code: lone surrogates, controls, quotes, separators, huge values. */
const nasty = fc.oneof(text, fc.constantFrom('\ud800', '\udc00', 'a\ud83dz', '\u2028', '\u0000', "'", "''", '\\', '%', '"}', '\u{1F600}', 'x'.repeat(3000)));

const base64url = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');

/** `$skiptoken`s: random ones, and forgeries in the service's own shape with hostile contents. */
const skiptoken = fc.oneof(
  encoded,
  nasty.map((c) => base64url(JSON.stringify({ c }))),
  fc
    .record({ nextPartitionKey: nasty, nextRowKey: fc.option(nasty, { nil: undefined }) })
    .map((inner) => base64url(JSON.stringify({ c: base64(JSON.stringify(inner)) }))),
  fc
    .record({ c: fc.oneof(nasty, fc.integer(), fc.constant(null)), extra: fc.option(nasty, { nil: undefined }) })
    .map((token) => base64url(JSON.stringify(token))),
  fc.jsonValue().map((value) => base64url(JSON.stringify(value))),
);

function odataArbitrary(operation: AnyOperation): fc.Arbitrary<[string, string][]> {
  const odata: ODataSpec = operation.odata ?? { entityType: '' };
  const properties = [...(odata.selectable ?? []), ...Object.keys(odata.filterable ?? {}), 'x', 'id'];
  const property = fc.oneof(fc.constantFrom(...properties), nasty);
  const options: fc.Arbitrary<[string, string]>[] = [
    fc.tuple(
      fc.constant('$select'),
      fc.oneof(
        fc.array(property, { maxLength: 4 }).map((names) => names.join(',')),
        nasty,
      ),
    ),
    fc.tuple(fc.constant('$top'), fc.oneof(fc.integer().map(String), nasty)),
    fc.tuple(
      fc.constant('$filter'),
      fc.oneof(
        nasty,
        fc.tuple(property, fc.constantFrom('eq', 'ge', 'ne', 'EQ'), nasty).map(([name, operator, value]) => `${name} ${operator} '${value}'`),
        fc.tuple(property, nasty, property, nasty).map(([a, x, b, y]) => `${a} eq '${x}' and ${b} eq '${y}'`),
      ),
    ),
    fc.tuple(fc.constant('$skiptoken'), skiptoken),
    fc.tuple(fc.constantFrom('$orderby', '$expand', '$count', '$search', '$skip', '$format', '$SELECT', '$'), nasty),
  ];
  return fc.array(fc.oneof(...options), { minLength: 1, maxLength: 4 });
}

/** Query strings built by hand so that any string (a lone surrogate too) reaches the server, UTF-8 or raw. */
function queryString(options: readonly [string, string][]): string {
  const encode = (value: string) =>
    encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '%ED%A0%80')).replace(
      /%25ED%25A0%2580/g,
      '%ED%A0%80',
    );
  return options.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
}

const operationsWithOData = ROUTES.flatMap((route) =>
  Object.entries(route.methods)
    .filter(([, operation]) => operation?.odata)
    .map(([method, operation]) => ({ route, method, operation: operation as AnyOperation })),
);

describe('hostile OData options and $skiptoken values', () => {
  it('cover every route that takes OData', () => {
    expect(operationsWithOData.map(({ operation }) => operation.operationId)).toEqual(
      expect.arrayContaining(['organization_list', 'deviceManagement_managedDevices_list', 'pinResetEvents_list']),
    );
  });

  for (const { route, method, operation } of operationsWithOData) {
    it(`never make ${operation.operationId} (${method} /${route.route}) answer 5xx`, async () => {
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(odataArbitrary(operation), async (options) => {
          const response = await host.request(`${pathOf(route.route)}?${queryString(options)}`, { method, headers: await credentialsFor(operation, route) });
          await response.arrayBuffer();
          seen.add(response.status);
          return response.status < 500;
        }),
        { numRuns: 150 },
      );
      expect([...seen].some((status) => status === 400)).toBe(true);
    }, 120_000);
  }
});

const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD'] as const;
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  '',
];

const operations = ROUTES.flatMap((route) =>
  Object.entries(route.methods).map(([method, operation]) => ({ route, method, operation: operation as AnyOperation })),
);

/** A random request for one operation: its method or another, hostile path segments, query, headers and body. */
const requestArbitrary = fc.record({
  index: fc.nat({ max: operations.length - 1 }),
  method: fc.option(fc.constantFrom(...METHODS), { freq: 4, nil: undefined }),
  segment: fc.option(fc.oneof(encoded, fc.uuid().map(String)), { freq: 2, nil: undefined }),
  query: fc.array(fc.tuple(fc.oneof(fc.constantFrom('$select', '$top', '$filter', '$skiptoken', 'tenant', 'state', 'x'), nasty), nasty), { maxLength: 3 }),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  body: fc.option(
    fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc
        .dictionary(
          fc.constantFrom(
            'deviceName',
            'azureADDeviceId',
            'joinType',
            'operatingSystem',
            'osVersion',
            'deviceKey',
            'protectedSecret',
            'actionState',
            'errorCode',
            'canReset',
            'ngcSet',
            'pinComplexity',
            'cloud',
            'tid',
            'oid',
            'decision',
          ),
          fc.oneof(nasty, fc.jsonValue()),
        )
        .map((value) => JSON.stringify(value)),
      text,
    ),
    { nil: undefined },
  ),
  headers: fc.record(
    {
      'Idempotency-Key': fc.option(nasty, { nil: undefined }),
      'If-Match': fc.option(fc.oneof(nasty, fc.constant('*'), fc.constant('W/"1"')), { nil: undefined }),
      'Reveal-Reason': fc.option(nasty, { nil: undefined }),
      'client-request-id': fc.option(nasty, { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
});

/** Header values must be ByteStrings: map other characters to their UTF-8 bytes as Latin-1. */
function headerValue(value: string): string {
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ')
    .slice(0, 2000);
}

describe('a fuzzer of thousands of requests over every operation', () => {
  it('gets no 5xx, and only answers the OpenAPI document describes', async () => {
    const before = host.answered;
    const failures: string[] = [];
    // Requests to the development authority are answered in-process by the simulated Microsoft
    // endpoints (the same authority code) and never reach the local host's recorder.
    let toHost = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (request) => {
        const { route, method, operation } = operations[request.index]!;
        const verb = request.method ?? method;
        const headers: Record<string, string> = { ...(await credentialsFor(operation, route)) };
        for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = headerValue(value);
        if (request.contentType) headers['content-type'] = request.contentType;
        const query = request.query.length ? `?${queryString(request.query)}` : '';
        const response = await host.request(`${pathOf(route.route, request.segment)}${query}`, {
          method: verb,
          headers,
          ...(request.body !== undefined && verb !== 'GET' && verb !== 'HEAD' ? { body: request.body } : {}),
        });
        const text = await response.text();
        if (!route.route.startsWith('dev/login/')) toHost += 1;
        if (response.status >= 500) failures.push(`${verb} /${route.route} → ${response.status} ${text.slice(0, 160)}`);
        return response.status < 500;
      }),
      { numRuns: 3000, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(toHost).toBeGreaterThan(2000);
    expect(host.answered - before).toBeGreaterThanOrEqual(toHost);
  }, 600_000);
});
