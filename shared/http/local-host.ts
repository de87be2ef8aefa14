import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpResponseInit, type LogLevel } from '@azure/functions';
import { notFound, type ServiceError } from '../domain/errors.js';
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

  const server = createServer(async (incoming, outgoing) => {
    const started = performance.now();
    const url = new URL(incoming.url ?? '/', `http://${incoming.headers.host ?? `${host}:${options.port}`}`);
    const match = matcher.match(url.pathname);
    const invocation = new InvocationContext({
      invocationId: randomUUID(),
      functionName: match?.definition.name ?? 'localHost',
      logHandler: (level, ...args) => options.functionLog?.(level, args.map(String).join(' ')),
    });
    let result: HttpResponseInit;
    try {
      const read = await readBody(incoming);
      const request = new HttpRequest({
        method: incoming.method ?? 'GET',
        url: url.toString(),
        headers: headersOf(incoming),
        params: match?.params ?? {},
        ...(read.kind === 'ok' && read.body.length > 0 ? { body: { bytes: read.body } } : {}),
      });
      const standalone = (error: ServiceError) => standaloneErrorResponse(error, request, invocation);
      if (read.kind === 'tooLarge') {
        result = standalone(tooLargeError());
        outgoing.setHeader('Connection', 'close');
      } else if (!match) result = standalone(notFound());
      else result = await handlerFor(match.definition)(request, invocation);
    } catch (error) {
      options.functionLog?.('error', `local host: ${error instanceof Error ? error.message : String(error)}`);
      result = { status: 500, headers: { 'Content-Type': 'application/json' }, body: '{"error":{"code":"InternalServerError","message":"An internal server error occurred."}}' };
    }
    await writeResponse(outgoing, result);
    const headers = new Headers(result.headers as ConstructorParameters<typeof Headers>[0]);
    options.accessLog?.(`${incoming.method} ${url.pathname} ${result.status ?? 200} ${(performance.now() - started).toFixed(1)}ms ${headers.get('request-id') ?? ''}`);
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
