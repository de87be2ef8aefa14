import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpResponseInit, type LogLevel } from '@azure/functions';
import { notFound, ServiceError } from '../domain/errors.js';
import { createRouteHandler, MAX_BODY_BYTES, standaloneErrorResponse, tooLargeError } from './pipeline.js';
import { RouteMatcher, type RouteDefinition, type RouteHandler } from './route-table.js';

// Native ESM: @azure/functions is CommonJS, so go through its default export.
const { HttpRequest, InvocationContext } = functions;

/** Past this, the local host stops reading an oversized body and closes the connection. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

export interface LocalHostOptions {
  routes: readonly RouteDefinition[];
  port: number;
  host?: string;
  /** One line per request (method, path, status, ms, request-id); never query strings or bodies. */
  accessLog?: (line: string) => void;
  /** Function log output (warnings and errors from the pipeline). */
  functionLog?: (level: LogLevel, message: string) => void;
}

export interface RunningLocalHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'tooLarge' };

function readBody(request: IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) request.pause();
      if (size > DRAIN_LIMIT_BYTES) resolve({ kind: 'tooLarge' });
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? { kind: 'tooLarge' } : { kind: 'ok', body: Buffer.concat(chunks) }));
    request.on('error', reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function writeResponse(response: ServerResponse, result: HttpResponseInit): Promise<void> {
  const headers = new Headers(result.headers as ConstructorParameters<typeof Headers>[0]);
  let body: string | Buffer | undefined;
  if (typeof result.body === 'string') body = result.body;
  else if (result.body instanceof Uint8Array) body = Buffer.from(result.body);
  else if (result.jsonBody !== undefined) {
    body = JSON.stringify(result.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (result.body != null) {
    body = Buffer.from(await new Response(result.body as ConstructorParameters<typeof Response>[0]).arrayBuffer());
  }
  if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
  response.writeHead(result.status ?? 200, Object.fromEntries(headers.entries()));
  response.end(body);
}

/**
 * A plain Node HTTP server that serves the route table exactly as the Functions host would: it
 * builds an `HttpRequest` and an `InvocationContext` and calls the same route handler `app.http`
 * registers. Used by `npm start`, the end-to-end tests and the benchmarks.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<RunningLocalHost> {
  const matcher = new RouteMatcher(options.routes);
  const handlers = new Map<RouteDefinition, RouteHandler>();
  const handlerFor = (definition: RouteDefinition) => {
    let handler = handlers.get(definition);
    if (!handler) {
      handler = createRouteHandler(definition);
      handlers.set(definition, handler);
    }
    return handler;
  };
  const host = options.host ?? '127.0.0.1';

  let origin = '';
  /** The request's URL on this host. The Host header is not trusted (it is only a client's claim). */
  const urlOf = (incoming: IncomingMessage): URL | undefined => {
    try {
      const target = incoming.url ?? '/';
      return target.startsWith('/') ? new URL(`${origin}${target}`) : new URL(target);
    } catch {
      return undefined;
    }
  };

  const serve = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = urlOf(incoming);
    const match = url ? matcher.match(url.pathname) : undefined;
    const invocation = new InvocationContext({
      invocationId: randomUUID(),
      functionName: match?.definition.name ?? 'localHost',
      logHandler: (level, ...args) => options.functionLog?.(level, args.map(String).join(' ')),
    });
    const read = await readBody(incoming);
    const request = new HttpRequest({
      method: incoming.method ?? 'GET',
      url: (url ?? new URL(`${origin}/`)).toString(),
      headers: headersOf(incoming),
      params: match?.params ?? {},
      ...(read.kind === 'ok' && read.body.length > 0 ? { body: { bytes: read.body } } : {}),
    });
    const standalone = (error: ServiceError) => standaloneErrorResponse(error, request, invocation);
    let result: HttpResponseInit;
    if (!url) result = standalone(new ServiceError('BadRequest', 'The request target is not a valid URL.'));
    else if (read.kind === 'tooLarge') {
      result = standalone(tooLargeError());
      outgoing.setHeader('Connection', 'close');
    } else if (!match) result = standalone(notFound());
    else result = await handlerFor(match.definition)(request, invocation);
    await writeResponse(outgoing, result);
    const headers = new Headers(result.headers as ConstructorParameters<typeof Headers>[0]);
    options.accessLog?.(`${incoming.method} ${url?.pathname ?? '(invalid URL)'} ${result.status ?? 200} ${(performance.now() - started).toFixed(1)}ms ${headers.get('request-id') ?? ''}`);
  };

  // Nothing a client sends may take the host down: a failure here is logged and answered with 500.
  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((error: unknown) => {
      options.functionLog?.('error', `local host: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      if (outgoing.headersSent) {
        outgoing.destroy();
        return;
      }
      const body = JSON.stringify({ error: { code: 'InternalServerError', message: 'An internal server error occurred.', innerError: { date: new Date().toISOString(), 'request-id': randomUUID() } } });
      outgoing.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      outgoing.end(body);
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
