import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { startLocalHost, type RunningLocalHost } from '../../shared/http/local-host.js';

/**
 * What the local host answers when Node refuses a request before it reaches the route table, and what
 * it logs when a client goes away: these never reach a handler, so they are tested on raw sockets.
 */
let host: RunningLocalHost;
const accessLog: string[] = [];
const functionLog: { level: string; message: string }[] = [];

beforeAll(async () => {
  host = await startLocalHost({
    routes: ROUTES,
    port: 0,
    accessLog: (line) => void accessLog.push(line),
    functionLog: (level, message) => void functionLog.push({ level, message }),
    timeouts: { headersMs: 300, requestMs: 600 },
  });
});
afterAll(async () => {
  await host.close();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; innerError: Record<string, string> } };
}

function parse(raw: string): RawAnswer {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as RawAnswer['body'] };
}

function expectEnvelope(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.innerError['request-id']).toBe(answer.headers['request-id']);
}

describe('the local host before the route table', () => {
  it('answers a request head over 16 KiB with 431 and the Graph envelope, not a bare 400', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    const parsed = parse(await answer);
    expectEnvelope(parsed, 431, 'RequestHeaderFieldsTooLarge');
    expect(parsed.body.error.message).toMatch(/16 KiB/);
  });

  it('answers bytes that are not HTTP with 400 and the Graph envelope', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write('HELLO THERE\r\n\r\n');
    expectEnvelope(parse(await answer), 400, 'BadRequest');
  });

  it("times out a connection that sends nothing with 408 and the envelope (not after Node's 60 s)", async () => {
    const socket = await open();
    expectEnvelope(parse(await readAll(socket)), 408, 'RequestTimeout');
  });

  it('times out a request whose body stops half-way with 408 and the envelope, and logs no server error', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write(
      'POST /v1.0/me/pinResetProtector/decrypt HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"protectedSecret":',
    );
    const parsed = parse(await answer);
    expectEnvelope(parsed, 408, 'RequestTimeout');
    expect(parsed.body.error.message).toMatch(/not received in time/);
    expect(functionLog.filter((entry) => entry.level === 'error')).toEqual([]);
  });

  it('answers 413 from the head when Content-Length declares more than 64 KiB, without waiting for a body that never comes', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write('POST /v1.0/me/managedDevices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"deviceName":');
    const raw = await answer;
    const parsed = parse(raw);
    expectEnvelope(parsed, 413, 'RequestEntityTooLarge');
    // One answer only: the request timeout that ends the connection adds no second (408) response.
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it('still answers 413 to a client that sends the whole declared oversized body, and keeps its connection usable', async () => {
    const socket = await open();
    const answer = readAll(socket);
    const body = `{"deviceName":"${'a'.repeat(70 * 1024)}"}`;
    socket.write(`POST /v1.0/me/managedDevices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const raw = await answer;
    expectEnvelope(parse(raw.slice(0, raw.indexOf('HTTP/1.1 ', 1))), 413, 'RequestEntityTooLarge');
    expect(raw.slice(raw.indexOf('HTTP/1.1 ', 1))).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('does not log a client that aborts mid-body as a server error (no stack trace), only an access line', async () => {
    const before = accessLog.length;
    const socket = await open();
    socket.write(
      'POST /v1.0/me/pinResetProtector/decrypt HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"protectedSecret":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect
      .poll(() => accessLog.slice(before).join('\n'))
      .toMatch(/POST \/v1\.0\/me\/pinResetProtector\/decrypt - .*client went away before the body ended/);
    expect(functionLog.filter((entry) => entry.level === 'error')).toEqual([]);
    expect(functionLog.map((entry) => entry.message).join('\n')).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('answers TRACE (a method fetch cannot represent, so no HttpRequest can carry it) with 405 and the envelope, never 500', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write(`TRACE /v1.0/organization?$top=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    const parsed = parse(await answer);
    expectEnvelope(parsed, 405, 'MethodNotAllowed');
    expect(parsed.headers.allow).toBe('GET, HEAD');
    expect(functionLog.filter((entry) => entry.level === 'error')).toEqual([]);
  });

  it('answers CONNECT (which Node never hands to the request handler) with 405 and the envelope, not a dropped connection', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write('CONNECT /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const parsed = parse(await answer);
    expectEnvelope(parsed, 405, 'MethodNotAllowed');
    expect(parsed.headers.allow).toBe('GET, HEAD');
  });

  it('answers TRACE on a path no route serves with 404 and the envelope', async () => {
    const socket = await open();
    const answer = readAll(socket);
    socket.write('TRACE /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expectEnvelope(parse(await answer), 404, 'Request_ResourceNotFound');
  });

  it('answers OPTIONS and other methods no route registers on a path no route serves with 404, as TRACE, not 405 with an Allow of methods that 404 too', async () => {
    for (const method of ['OPTIONS', 'PROPFIND']) {
      const response = await fetch(`${host.url}/nothing-here/at-all`, { method });
      expect(response.status, method).toBe(404);
      expect(response.headers.get('allow'), method).toBeNull();
      expect(((await response.json()) as RawAnswer['body']).error.code).toBe('Request_ResourceNotFound');
    }
    const known = await fetch(`${host.url}/v1.0/organization`, { method: 'OPTIONS' });
    expect(known.status).toBe(405);
    expect(known.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers a client that half-closes after its request, even when the answer waits on storage', async () => {
    for (const method of ['GET', 'HEAD']) {
      const socket = await open();
      const answer = readAll(socket);
      socket.end(`${method} /health HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [statusLine = '', ...lines] = (await answer).split('\r\n');
      expect(statusLine).toMatch(/^HTTP\/1\.1 (200|503) /);
      expect(lines.some((line) => /^request-id: [0-9a-f-]{36}$/i.test(line))).toBe(true);
    }
  });

  it('serves a GET that carries a body (which no route reads) without a warning per request on stderr', async () => {
    const warnings: unknown[][] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const socket = await open();
      const answer = readAll(socket);
      socket.end('GET /openapi.json HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody');
      expect((await answer).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]);
    expect(functionLog).toEqual([]);
  });

  it('still serves a normal request on the same host', async () => {
    const response = await fetch(`${host.url}/openapi.json`);
    expect(response.status).toBe(200);
  });
});
