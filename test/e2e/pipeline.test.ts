import type { JSONWebKeySet } from 'jose';
import { request as httpRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GraphErrorEnvelope, TokenResponse } from '../../cli/client/types.js';
import { getConfig } from '../../shared/config.js';
import { azuriteConnectionString } from '../../shared/dev/azurite.js';
import { Services, setServices } from '../../shared/wiring.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';

const host = useLocalHost();

/** Port 1 on loopback: nothing listens there, so every storage call is refused. */
function useUnreachableStorage(): void {
  setServices(new Services({ ...getConfig(), storage: { kind: 'connectionString', connectionString: azuriteConnectionString(1) } }));
}
useSimulatedMicrosoft();

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown;
        requestBody?: { content: Record<string, { schema: { $ref: string } }> };
      }
    >
  >;
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
}

async function expectEnvelope(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await jsonOf<GraphErrorEnvelope>(response);
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String),
      innerError: {
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        'request-id': response.headers.get('request-id'),
        'client-request-id': response.headers.get('client-request-id'),
      },
    },
  });
  return body;
}

/** A raw request, so that the path and Host header are sent exactly as given (fetch normalises both). */
function rawRequest(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, headers, setHost: !('host' in headers) }, (incoming) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('the request pipeline over HTTP', () => {
  it('answers a path with a doubled slash and a malformed Host header instead of failing, and keeps serving', async () => {
    const doubled = await rawRequest(host.url, '//v1.0/organization');
    expect(doubled.status).toBe(404);
    expect(JSON.parse(doubled.body).error.code).toBe('Request_ResourceNotFound');
    const badHost = await rawRequest(host.url, '/health', { host: 'a b' });
    expect(badHost.status).toBe(200);
    expect((await host.request('/health')).status).toBe(200);
  });

  it('answers an unknown path with the Graph 404 envelope', async () => {
    await expectEnvelope(await host.request('/v1.0/noSuchThing'), 404, 'Request_ResourceNotFound');
    // Query options belong to no resource there: still 404, not a 400 about the option.
    await expectEnvelope(await host.request('/v1.0/noSuchThing?$top=3&$select=id'), 404, 'Request_ResourceNotFound');
  });

  it('answers a wrong method with 405, an Allow header and the envelope', async () => {
    const response = await host.request('/health', { method: 'DELETE' });
    await expectEnvelope(response, 405, 'MethodNotAllowed');
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD on a GET route with the GET status and headers but no body', async () => {
    const response = await host.request('/health', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toBeTruthy();
    expect(await response.text()).toBe('');
  });

  it('refuses a body over 64 KiB with 413 before parsing it', async () => {
    const body = JSON.stringify({ tid: 'x', padding: 'a'.repeat(70 * 1024) });
    await expectEnvelope(
      await host.request('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      413,
      'RequestEntityTooLarge',
    );
  });

  it('refuses a chunked body over 64 KiB (no Content-Length) with 413', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let index = 0; index < 80; index += 1) controller.enqueue(new TextEncoder().encode('a'.repeat(1024)));
        controller.close();
      },
    });
    const response = await host.request('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    await expectEnvelope(response, 413, 'RequestEntityTooLarge');
  });

  it('refuses malformed JSON with 400', async () => {
    const body = await expectEnvelope(
      await host.request('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tid":' }),
      400,
      'BadRequest',
    );
    expect(body.error.message).toBe('The request body is not valid JSON.');
  });

  it('refuses a non-JSON content type with 415', async () => {
    await expectEnvelope(
      await host.request('/dev/token', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
      415,
      'UnsupportedMediaType',
    );
  });

  it('reads a gzip, deflate or br compressed JSON body (Content-Encoding, as Graph accepts), as if it had been sent plain', async () => {
    const body = JSON.stringify({ tid: '00000000-0000-4000-8000-0000000000c1', oid: '00000000-0000-4000-8000-000000000001' });
    for (const [coding, compressed] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['br', brotliCompressSync(body)],
      ['GZIP', gzipSync(body)],
    ] as const) {
      const response = await host.request('/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
        body: new Uint8Array(compressed),
      });
      expect(response.status, coding).toBe(200);
      expect((await jsonOf<TokenResponse>(response)).token_type, coding).toBe('Bearer');
    }
  });

  it('refuses an unknown Content-Encoding with 415, a corrupt compressed body with 400, and one that inflates past 64 KiB with 413', async () => {
    const post = (coding: string, body: Uint8Array | string) =>
      host.request('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': coding }, body });
    const plain = JSON.stringify({ tid: '00000000-0000-4000-8000-0000000000c1', oid: '00000000-0000-4000-8000-000000000001' });
    const unknown = await expectEnvelope(await post('compress', plain), 415, 'UnsupportedMediaType');
    expect(unknown.error.message).toContain("'compress'");
    await expectEnvelope(await post('gzip, br', plain), 415, 'UnsupportedMediaType');
    const corrupt = await expectEnvelope(await post('gzip', plain), 400, 'BadRequest');
    expect(corrupt.error.message).toContain('gzip');
    const bomb = new Uint8Array(gzipSync(JSON.stringify({ tid: 'x', padding: 'a'.repeat(1024 * 1024) })));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    await expectEnvelope(await post('gzip', bomb), 413, 'RequestEntityTooLarge');
    await expectEnvelope(await post('deflate', new Uint8Array(deflateSync('a'.repeat(1024 * 1024)))), 413, 'RequestEntityTooLarge');
    await expectEnvelope(await post('__proto__', plain), 415, 'UnsupportedMediaType');
  });

  it('names the invalid field of a body that fails its schema', async () => {
    const body = await expectEnvelope(
      await host.request('/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tid: 'not-a-guid', oid: '00000000-0000-4000-8000-000000000001' }),
      }),
      400,
      'BadRequest',
    );
    expect(body.error.message).toContain("'tid'");
  });

  it('names an unknown body property', async () => {
    const body = await expectEnvelope(
      await host.request('/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tid: '00000000-0000-4000-8000-000000000001', oid: '00000000-0000-4000-8000-000000000001', surprise: true }),
      }),
      400,
      'BadRequest',
    );
    expect(body.error.message).toContain('surprise');
  });

  it('reports healthy storage on /health', async () => {
    const response = await host.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', storage: 'ok', version: expect.any(String) });
  });

  it('reports 503 with Retry-After on /health when storage is unreachable', async () => {
    useUnreachableStorage();
    try {
      const response = await host.request('/health');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('10');
      expect(await response.json()).toEqual({ status: 'degraded', storage: 'unreachable', version: expect.any(String) });
    } finally {
      setServices(undefined);
    }
  });

  it('answers 503 ServiceUnavailable, not 500, for a data route when storage is unreachable', async () => {
    useUnreachableStorage();
    try {
      const token = await jsonOf<TokenResponse>(
        await host.request('/dev/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tid: '00000000-0000-4000-8000-0000000000ab', oid: '00000000-0000-4000-8000-000000000001' }),
        }),
      );
      const response = await host.request('/v1.0/organization', { headers: { Authorization: `Bearer ${token.access_token}` } });
      await expectEnvelope(response, 503, 'ServiceUnavailable');
      expect(response.headers.get('retry-after')).toBeTruthy();
    } finally {
      setServices(undefined);
    }
  });

  it('serves an OpenAPI 3.1 document that lists the routes of the route table', async () => {
    const response = await host.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = await jsonOf<OpenApiDocument>(response);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/v1.0/organization', '/v1.0/organization/{id}', '/dev/token']));
    expect(document.paths['/v1.0/organization']?.get?.security).toEqual([{ entraBearer: [] }]);
    const ref = document.paths['/dev/token']?.post?.requestBody?.content['application/json']?.schema.$ref ?? '';
    expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(document.components.schemas[ref.replace('#/components/schemas/', '')]?.properties.tid).toBeDefined();
  });

  it('issues dev tokens and publishes their keys in development mode', async () => {
    const keys = await jsonOf<JSONWebKeySet>(await host.request('/dev/keys'));
    expect(keys.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(keys.keys[0]?.d).toBeUndefined();
    const response = await host.request('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tid: '00000000-0000-4000-8000-0000000000ab', oid: '00000000-0000-4000-8000-000000000001', amr: ['pwd', 'mfa'] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ access_token: expect.stringMatching(/^ey/), token_type: 'Bearer', expires_in: 3600 });
  });
});
