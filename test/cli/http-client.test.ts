import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphApiError, ServiceUnreachableError, UntrustedUrlError } from '../../cli/client/errors.js';
import { bearerCredential, HttpClient } from '../../cli/client/http.js';
import { PinResetClient } from '../../cli/client/pin-reset-client.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** A tiny HTTP server whose answers each test scripts in order. */
let script: Handler[] = [];
const seen: { method: string; url: string; authorization: string | undefined; clientRequestId: string | undefined; body: string }[] = [];
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      clientRequestId: request.headers['client-request-id'] as string | undefined,
      body,
    });
    const next = script.shift();
    if (next) next(request, response, body);
    else response.writeHead(500).end();
  });
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function graphError(status: number, code: string, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `rid-${seen.length}`, ...headers });
    response.end(JSON.stringify({ error: { code, message: `${code} happened.`, innerError: { date: new Date().toISOString() } } }));
  };
}
const ok: Handler = (_request, response, body) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ echoed: body ? JSON.parse(body) : null }));
};

function client(options: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const sleeps: number[] = [];
  const http = new HttpClient({ baseUrl, sleep: async (ms) => void sleeps.push(ms), ...options });
  return { http, sleeps };
}

describe('the client transport', () => {
  it('retries 429 and 503 honouring Retry-After, then returns the success', async () => {
    script = [graphError(429, 'TooManyRequests', { 'retry-after': '2' }), graphError(503, 'ServiceUnavailable', { 'retry-after': '1' }), ok];
    seen.length = 0;
    const { http, sleeps } = client();
    const response = await http.request<{ echoed: unknown }>('POST', '/thing', { json: { a: 1 } });
    expect(response.body).toEqual({ echoed: { a: 1 } });
    expect(sleeps).toEqual([2000, 1000]);
    expect(seen).toHaveLength(3);
    // One logical request: the same client-request-id on every attempt.
    expect(new Set(seen.map((s) => s.clientRequestId)).size).toBe(1);
  });

  it('gives up after a bounded number of retries and throws the last error', async () => {
    script = Array.from({ length: 5 }, () => graphError(503, 'ServiceUnavailable', { 'retry-after': '0' }));
    seen.length = 0;
    const { http } = client({ retry: { maxRetries: 2 } });
    const error = await http.request('GET', '/thing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryAfterSeconds: 0 });
    expect(seen).toHaveLength(3);
  });

  it('backs off exponentially when there is no Retry-After', async () => {
    script = [graphError(429, 'TooManyRequests'), graphError(429, 'TooManyRequests'), ok];
    const { http, sleeps } = client({ retry: { baseDelayMs: 100 } });
    await http.request('GET', '/thing');
    expect(sleeps).toEqual([100, 200]);
  });

  it('does not wait for a Retry-After beyond the ceiling: it surfaces the 429 with its Retry-After', async () => {
    script = [graphError(429, 'TooManyRequests', { 'retry-after': '3600' })];
    seen.length = 0;
    const { http, sleeps } = client({ retry: { maxDelayMs: 60_000 } });
    const error = await http.request('GET', '/thing').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'TooManyRequests', retryAfterSeconds: 3600 });
    expect(sleeps).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('never retries a client error', async () => {
    script = [graphError(400, 'BadRequest'), ok];
    seen.length = 0;
    const { http } = client();
    await expect(http.request('POST', '/thing', { json: {} })).rejects.toMatchObject({ status: 400, code: 'BadRequest', requestId: 'rid-1' });
    expect(seen).toHaveLength(1);
    script = [];
  });

  it('asks the credential again for every attempt (a device assertion must never be replayed)', async () => {
    script = [graphError(429, 'TooManyRequests', { 'retry-after': '0' }), ok];
    seen.length = 0;
    let calls = 0;
    const { http } = client();
    await http.request('GET', '/thing', { credential: async () => `DeviceAssertion jwt-${++calls}` });
    expect(seen.map((s) => s.authorization)).toEqual(['DeviceAssertion jwt-1', 'DeviceAssertion jwt-2']);
  });

  it('reports an unreachable service as ServiceUnreachableError', async () => {
    const unreachable = new HttpClient({ baseUrl: 'http://127.0.0.1:1' });
    await expect(unreachable.request('GET', '/health')).rejects.toBeInstanceOf(ServiceUnreachableError);
  });

  it('deletes a managed device with DELETE on its Graph path', async () => {
    script = [(_request, response) => void response.writeHead(204).end()];
    seen.length = 0;
    await new PinResetClient({ baseUrl }).deleteManagedDevice(bearerCredential('t'), '0b0e4d2c-5f0a-4c55-9a43-0d7c0d3a9f11');
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        url: '/v1.0/deviceManagement/managedDevices/0b0e4d2c-5f0a-4c55-9a43-0d7c0d3a9f11',
        authorization: 'Bearer t',
      }),
    ]);
  });
});

describe('absolute URLs such as @odata.nextLink', () => {
  /** Another origin (same host, other port) that records whether anything reached it. */
  const foreignHits: { url: string; authorization: string | undefined }[] = [];
  const foreign = createServer((request, response) => {
    foreignHits.push({ url: request.url ?? '', authorization: request.headers.authorization });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
  });
  let foreignUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', () => resolve()));
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

  const page =
    (value: unknown[], nextLink?: string): Handler =>
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ value, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) }));
    };

  it("follows a link on the service's own origin with the credential", async () => {
    script = [ok];
    seen.length = 0;
    const { http } = client();
    await http.request('GET', `${baseUrl}/v1.0/auditLogs/pinResetEvents?$skiptoken=abc`, { credential: bearerCredential('t0ken') });
    expect(seen).toEqual([expect.objectContaining({ url: '/v1.0/auditLogs/pinResetEvents?$skiptoken=abc', authorization: 'Bearer t0ken' })]);
  });

  it('refuses a link to another origin with a clear error, before asking for the credential or sending anything', async () => {
    foreignHits.length = 0;
    let credentialCalls = 0;
    const { http } = client();
    const credential = async () => `Bearer ${++credentialCalls}`;
    for (const link of [
      `${foreignUrl}/steal`,
      'https://attacker.example/v1.0/x',
      `${baseUrl.replace('http:', 'https:')}/v1.0/x`,
      `HTTP://attacker.example/x`,
    ]) {
      const error = await http.request('GET', link, { credential }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UntrustedUrlError);
      expect((error as Error).message).toMatch(/^Refusing to follow a link to .+: it is not the service's origin \(http:\/\/127\.0\.0\.1:\d+\)/);
    }
    expect(credentialCalls).toBe(0);
    expect(foreignHits).toEqual([]);
  });

  it('stops a listing whose @odata.nextLink points off the service, so the token never leaves it', async () => {
    script = [page([{ id: 'e1' }], `${foreignUrl}/v1.0/auditLogs/pinResetEvents?$skiptoken=2`)];
    seen.length = 0;
    foreignHits.length = 0;
    const pinReset = new PinResetClient({ baseUrl });
    await expect(pinReset.auditEvents(bearerCredential('secret-token'), { all: true })).rejects.toBeInstanceOf(UntrustedUrlError);
    expect(seen).toHaveLength(1);
    expect(foreignHits).toEqual([]);
  });

  it('follows a same-origin @odata.nextLink to the last page', async () => {
    script = [page([{ id: 'e1' }], `${baseUrl}/v1.0/auditLogs/pinResetEvents?$skiptoken=2`), page([{ id: 'e2' }])];
    seen.length = 0;
    const pinReset = new PinResetClient({ baseUrl });
    const events = await pinReset.auditEvents(bearerCredential('t'), { all: true });
    expect(events.map((event) => (event as { id: string }).id)).toEqual(['e1', 'e2']);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer t', 'Bearer t']);
  });
});
