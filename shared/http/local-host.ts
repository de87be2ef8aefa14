import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import functions, { type HttpResponseInit, type LogLevel } from '@azure/functions';
import { notFound, ServiceError } from '../domain/errors.js';
import { createRouteHandler, MAX_BODY_BYTES, standaloneErrorResponse, tooLargeError, unservedMethodError } from './pipeline.js';
import { errorResponse, headerRecord } from './responses.js';
import { RouteMatcher, type RouteDefinition, type RouteHandler } from './route-table.js';

// Native ESM: @azure/functions is CommonJS, so go through its default export.
const { HttpRequest, InvocationContext } = functions;

/**
 * Methods Node parses but the fetch `Request` that `HttpRequest` wraps refuses to build (it throws).
 * No route serves them: they are answered 405 (or 404) before a request object is made.
 */
const UNREPRESENTABLE_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

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
  /**
   * How long a client may take to send a request head, and the whole request (head and body), before
   * it gets 408. Node's defaults (60 s and 300 s) let a stalled client hold a connection for minutes.
   */
  timeouts?: { headersMs?: number; requestMs?: number };
  /** Sees every answer (tests check each against the OpenAPI document). */
  observe?: (exchange: ObservedExchange) => void;
}

/** One request and its answer, as the local host served them. */
export interface ObservedExchange {
  method: string;
  url: string;
  /** The route that served it (undefined: no route matched). */
  route: RouteDefinition | undefined;
  response: HttpResponseInit;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Node's limit on a request head (`--max-http-header-size`); a larger one is answered 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface RunningLocalHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `aborted`: the client went away (or was timed out) before its body ended; there is no one to answer. */
type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'tooLarge' } | { kind: 'aborted' };

function readBody(request: IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) request.pause();
      if (size > DRAIN_LIMIT_BYTES) resolve({ kind: 'tooLarge' });
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? { kind: 'tooLarge' } : { kind: 'ok', body: Buffer.concat(chunks) }));
    // A stream error on a request is the client's doing (reset, abort mid-body), never a server fault.
    // 'close' after 'end' changes nothing: the promise is already settled.
    request.on('error', () => resolve({ kind: 'aborted' }));
    request.on('close', () => resolve({ kind: 'aborted' }));
  });
}

/** Sockets answered 413 from the request head while their body still drains: a timeout gets no second answer. */
const answeredFromHead = new WeakSet<Socket>();

/**
 * Reads and drops the body of a request already refused from its head; past DRAIN_LIMIT_BYTES the
 * connection is closed. Once the body has ended the connection serves the next request as usual.
 */
function drainOversized(request: IncomingMessage): BodyRead {
  const { socket } = request;
  answeredFromHead.add(socket);
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > DRAIN_LIMIT_BYTES) socket.destroy();
  });
  request.on('end', () => answeredFromHead.delete(socket));
  request.on('error', () => socket.destroy());
  return { kind: 'tooLarge' };
}

/**
 * The Graph envelope for a request Node refused before it became a request (head too large, too
 * slow, not HTTP), written straight to the socket: there is no IncomingMessage to answer.
 */
function clientErrorAnswer(error: NodeJS.ErrnoException): ServiceError | undefined {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ServiceError(
        'RequestHeaderFieldsTooLarge',
        `The request head (request line and headers) is larger than the ${MAX_HEADER_BYTES / 1024} KiB limit.`,
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ServiceError('RequestTimeout', 'The request was not received in time: send the request line, headers and body without pausing.');
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    default:
      return new ServiceError('BadRequest', 'The request is not valid HTTP/1.1.');
  }
}

function rawErrorResponse(error: ServiceError): { head: string; body: string; requestId: string; status: number } {
  const requestId = randomUUID();
  const response = errorResponse(error, { requestId, clientRequestId: requestId });
  const body = String(response.body);
  const status = response.status ?? 400;
  const headers: Record<string, string> = {
    ...(response.headers as Record<string, string>),
    'request-id': requestId,
    'client-request-id': requestId,
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status] ?? 'Error';
  const head = `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n')}\r\n\r\n`;
  return { head, body, requestId, status };
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Writes the answer; gives back the headers it sent. */
async function writeResponse(response: ServerResponse, result: HttpResponseInit): Promise<Record<string, string>> {
  const headers = headerRecord(result.headers);
  let body: string | Buffer | undefined;
  if (typeof result.body === 'string') body = result.body;
  else if (result.body instanceof Uint8Array) body = Buffer.from(result.body);
  else if (result.jsonBody !== undefined) {
    body = JSON.stringify(result.jsonBody);
    headers['content-type'] ??= 'application/json';
  } else if (result.body != null) {
    body = Buffer.from(await new Response(result.body as ConstructorParameters<typeof Response>[0]).arrayBuffer());
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  response.writeHead(result.status ?? 200, headers);
  response.end(body);
  return headers;
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
    // A body declared over the limit is refused from the head, before any of it is read: the client
    // learns it at once (one whose body is shorter than declared would otherwise wait for the request
    // timeout). The rest of the body is read and dropped, so the answer is not lost to a reset.
    const declaredTooLarge = Number(incoming.headers['content-length']) > MAX_BODY_BYTES;
    const read: BodyRead = declaredTooLarge ? drainOversized(incoming) : await readBody(incoming);
    if (read.kind === 'aborted') {
      // Not a server error: nothing to answer and nothing to log but the access line.
      options.accessLog?.(
        `${incoming.method} ${url?.pathname ?? '(invalid URL)'} - ${(performance.now() - started).toFixed(1)}ms client went away before the body ended`,
      );
      outgoing.destroy();
      return;
    }
    const method = incoming.method ?? 'GET';
    const unrepresentable = UNREPRESENTABLE_METHODS.has(method.toUpperCase());
    // A fetch Request cannot carry a GET or HEAD body: HttpRequest drops it with a warning on stderr per
    // request. No route reads one, so it is dropped here, quietly.
    const bodyless = unrepresentable || /^(GET|HEAD)$/i.test(method);
    const request = new HttpRequest({
      // Only to carry the ids and path into the error answer below; no handler sees it.
      method: unrepresentable ? 'GET' : method,
      url: (url ?? new URL(`${origin}/`)).toString(),
      headers: headersOf(incoming),
      params: match?.params ?? {},
      ...(read.kind === 'ok' && read.body.length > 0 && !bodyless ? { body: { bytes: read.body } } : {}),
    });
    const standalone = (error: ServiceError) => standaloneErrorResponse(error, request, invocation);
    let result: HttpResponseInit;
    if (!url) result = standalone(new ServiceError('BadRequest', 'The request target is not a valid URL.'));
    else if (read.kind === 'tooLarge') {
      result = standalone(tooLargeError());
      if (!declaredTooLarge) outgoing.setHeader('Connection', 'close');
    } else if (!match) result = standalone(notFound());
    // The catch-all route (`{*path}`) is not a resource: there, as on any unknown path, 404.
    else if (unrepresentable) result = standalone(unservedMethodError(match.definition));
    else result = await handlerFor(match.definition)(request, invocation);
    const sent = await writeResponse(outgoing, result);
    options.observe?.({ method: incoming.method ?? 'GET', url: url?.toString() ?? '', route: match?.definition, response: result });
    options.accessLog?.(
      `${incoming.method} ${url?.pathname ?? '(invalid URL)'} ${result.status ?? 200} ${(performance.now() - started).toFixed(1)}ms ${sent['request-id'] ?? ''}`,
    );
  };

  // Nothing a client sends may take the host down: a failure here is logged and answered with 500.
  const headersTimeout = options.timeouts?.headersMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(headersTimeout, options.timeouts?.requestMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // How often Node checks those two timeouts (default 30 s, which would make them meaningless).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    (incoming, outgoing) => {
      serve(incoming, outgoing).catch((error: unknown) => {
        options.functionLog?.('error', `local host: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        if (outgoing.headersSent) {
          outgoing.destroy();
          return;
        }
        const requestId = randomUUID();
        const body = JSON.stringify({
          error: {
            code: 'InternalServerError',
            message: 'An internal server error occurred.',
            innerError: { date: new Date().toISOString(), 'request-id': requestId, 'client-request-id': requestId },
          },
        });
        outgoing.writeHead(500, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'request-id': requestId,
          'client-request-id': requestId,
        });
        outgoing.end(body);
      });
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answer = clientErrorAnswer(error);
    const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!answer || !socket.writable || response?.headersSent || answeredFromHead.has(socket)) {
      socket.destroy();
      return;
    }
    const raw = rawErrorResponse(answer);
    // As Node does for its own 408/431: answer, then drop the connection (the client may still be sending).
    socket.end(raw.head + raw.body, () => socket.destroy());
    options.accessLog?.(`- (${error.code ?? 'client error'}) ${raw.status} ${answer.code} ${raw.requestId}`);
  });
  // Node hands CONNECT to a 'connect' listener instead of the request handler, and with none it drops
  // the connection unanswered. This is no proxy: answer it like TRACE, in the envelope, then close.
  server.on('connect', (incoming: IncomingMessage, socket: Socket) => {
    const url = urlOf(incoming);
    const raw = rawErrorResponse(unservedMethodError(url ? matcher.match(url.pathname)?.definition : undefined));
    socket.on('error', () => socket.destroy());
    socket.end(raw.head + raw.body, () => socket.destroy());
    options.accessLog?.(`CONNECT ${url?.pathname ?? '(invalid URL)'} ${raw.status} ${raw.requestId}`);
  });
  server.keepAliveTimeout = 5_000;
  // A client may send its whole request and then half-close (shutdown(SHUT_WR), as `printf … | nc`
  // does). Node's default ends the socket at that FIN, so any answer slower than the FIN (one that
  // reads storage) was lost and the client saw an empty reply. Half-open: answer, then close.
  (server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
