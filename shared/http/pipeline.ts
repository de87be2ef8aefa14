import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw } from 'node:zlib';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { getConfig, type ServiceConfig } from '../config.js';
import { notFound, ServiceError } from '../domain/errors.js';
import { requireAdministrator, requireOwnTenant, requireRecentMfa } from '../identity/authorization.js';
import type { DevicePrincipal, UserPrincipal } from '../identity/principal.js';
import type { Services } from '../wiring.js';
import { EMPTY_ODATA_QUERY, odataOptionOf, parseODataQuery, type ODataQuery, type ODataSpec } from './odata.js';
import { empty, errorResponse, headerRecord, json, type HtmlPage, type RawBody, type Reply, type RequestIds } from './responses.js';
import { requireActiveTenant } from '../services/active-tenant.js';
import { parseIdempotencyKey, runIdempotently, type IdempotentOutcome } from '../services/idempotency.js';
import type { HttpMethod, RouteDefinition, RouteHandler } from './route-table.js';

/** Bodies over this size are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Who may call an operation:
 * - `anonymous`: anyone (health, onboarding redirects, development-mode routes);
 * - `user`: a valid Entra access token for the service app;
 * - `mfaUser`: a user token with recent MFA (decrypt);
 * - `admin` / `passcodeAdmin`: a user token with one of the configured admin roles;
 * - `device`: a DeviceAssertion signed by an enrolled device key;
 * - `userOrDevice`: either of the two.
 */
export type AuthRequirement = 'anonymous' | 'user' | 'mfaUser' | 'admin' | 'passcodeAdmin' | 'device' | 'userOrDevice';

/**
 * One answer an operation can give, by status:
 * - `schema`: a JSON body that the handler's returned body must match (checked by `tsc`);
 * - `html`: an HTML page;
 * - neither: no body (2xx/3xx), or Graph's error envelope (4xx/5xx).
 */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  html?: true;
  /** Other media types the body may have (static assets: `text/css`, `text/javascript`, `image/svg+xml`). */
  media?: readonly string[];
  /** Response headers worth documenting (ETag, Retry-After, Location ...). */
  headers?: readonly string[];
}

export type ResponseSpecs = Readonly<Record<number, ResponseSpec>>;

/** The response a handler may return for one declared status. */
type ReplyFor<Status extends number, Spec> = Spec extends { schema: infer Schema extends z.ZodType }
  ? Reply<Status, z.input<Schema>>
  : Spec extends { html: true }
    ? Reply<Status, HtmlPage> | (Spec extends { media: readonly string[] } ? Reply<Status, RawBody> : never)
    : Spec extends { media: readonly string[] }
      ? Reply<Status, RawBody>
      : Reply<Status, undefined>;

/** Any response the operation declares; returning an undeclared status or a mismatched body fails `tsc`. */
export type RepliesOf<R extends ResponseSpecs> = { [Status in keyof R & number]: ReplyFor<Status, R[Status]> }[keyof R & number];

/** An `Idempotency-Key` makes the operation run once per key, caller and operation (24 h). */
export interface IdempotencySpec {
  /** Names the operation in the key's scope. */
  scope: string;
}

export interface OperationContext<TBody> {
  request: HttpRequest;
  invocation: InvocationContext;
  ids: RequestIds;
  services: Services;
  config: ServiceConfig;
  params: Readonly<Record<string, string>>;
  query: ODataQuery;
  body: TBody;
  user: UserPrincipal | undefined;
  device: DevicePrincipal | undefined;
}

export interface Operation<TBody = undefined, R extends ResponseSpecs = ResponseSpecs> {
  /** OpenAPI operationId (unique); also names the operation in logs. */
  operationId: string;
  summary: string;
  tags: readonly string[];
  auth: AuthRequirement;
  /** Route parameter holding a tenant id that must be the caller's own (else 404). */
  tenantParam?: string;
  /** `activeTenant`: the caller's tenant must be onboarded (`active`), else 403; checked by the pipeline. */
  requires?: 'activeTenant';
  /** Honours `Idempotency-Key` (enforced by the pipeline; user operations only). */
  idempotent?: IdempotencySpec;
  /** Request headers the operation reads, documented in OpenAPI. */
  headers?: readonly RequestHeaderSpec[];
  odata?: ODataSpec;
  /** The catch-all of unknown paths: 404 whatever the query or body says (they belong to no resource). */
  catchAll?: true;
  body?: { schema: z.ZodType<TBody>; format?: 'json' | 'form' };
  /**
   * A body the handler reads itself, unparsed by the pipeline (the development authority answers
   * malformed forms with Entra's errors, not Graph's): described in OpenAPI only.
   */
  documentedBody?: { schema: z.ZodType; format: 'json' | 'form' };
  /** Route-specific plain query parameters, documented in OpenAPI. */
  queryParameters?: readonly { name: string; description: string; required?: boolean }[];
  responses: R;
  /** An example response body for the main success status (OpenAPI and docs). */
  example?: unknown;
  /**
   * Called when a caller with a valid user token is refused before the handler runs (MFA, role,
   * query or body): an operation that audits every attempt records it here. If it throws, that error
   * is the answer instead (an attempt that cannot be audited fails closed).
   */
  onRefused?(refusal: Refusal): Promise<void>;
  handle(context: OperationContext<TBody>): Promise<RepliesOf<NoInfer<R>>>;
}

export interface Refusal {
  user: UserPrincipal;
  /** What the request is answered with. */
  error: ServiceError;
  services: Services;
  ids: RequestIds;
}

export interface RequestHeaderSpec {
  name: string;
  description: string;
  required?: boolean;
}

/** A route table holds operations of any body and response type. */
// biome-ignore lint/suspicious/noExplicitAny: a route table mixes operations of every body and response type
export type AnyOperation = Operation<any, any>;

/** The caller of a user/admin operation; the pipeline guarantees it for those auth requirements. */
export function userOf(context: OperationContext<unknown>): UserPrincipal {
  if (!context.user) throw new ServiceError('InternalServerError', 'Operation declared without user authentication.');
  return context.user;
}

/** The caller of a device operation. */
export function deviceOf(context: OperationContext<unknown>): DevicePrincipal {
  if (!context.device) throw new ServiceError('InternalServerError', 'Operation declared without device authentication.');
  return context.device;
}

/** Lets TypeScript infer the body type from the request schema and the replies from the response specs. */
export function defineOperation<TBody = undefined, const R extends ResponseSpecs = ResponseSpecs>(operation: Operation<TBody, R>): Operation<TBody, R> {
  return operation;
}

export function requestIdsOf(request: HttpRequest): RequestIds {
  const requestId = randomUUID();
  const clientRequestId = request.headers.get('client-request-id')?.slice(0, 128) || requestId;
  return { requestId, clientRequestId };
}

function withStandardHeaders(response: HttpResponseInit, ids: RequestIds, pathname: string): HttpResponseInit {
  const headers = headerRecord(response.headers);
  headers['request-id'] = ids.requestId;
  headers['client-request-id'] = ids.clientRequestId;
  if (isGraphPath(pathname)) headers['odata-version'] = '4.0';
  headers['cache-control'] ??= 'no-store';
  return { ...response, headers };
}

/** The Graph-shaped routes (`/v1.0/...`): OData-Version on every answer, OData options with or without `$`. */
function isGraphPath(pathname: string): boolean {
  return /^\/v1\.0\//i.test(pathname);
}

function pathnameOf(request: HttpRequest): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return '/';
  }
}

/** Turns anything thrown into a response; unexpected errors are logged with the request id and hidden. */
export function failureResponse(error: unknown, ids: RequestIds, invocation: InvocationContext): HttpResponseInit {
  if (error instanceof ServiceError) {
    if (error.code === 'InternalServerError' || error.code === 'ServiceUnavailable') {
      invocation.warn(`request ${ids.requestId}: ${error.code}: ${error.message}`, error.cause instanceof Error ? error.cause.message : '');
    }
    return errorResponse(error, ids);
  }
  invocation.error(`request ${ids.requestId}: unhandled error`, error instanceof Error ? (error.stack ?? error.message) : String(error));
  return errorResponse(new ServiceError('InternalServerError', 'An internal server error occurred. Quote the request-id when reporting it.'), ids);
}

export function tooLargeError(): ServiceError {
  return new ServiceError('RequestEntityTooLarge', `The request body is larger than the ${MAX_BODY_BYTES / 1024} KiB limit.`);
}

type Decoder = (input: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

/** Inflates `deflate` as RFC 9110 defines it (zlib format), and the raw deflate some clients send. */
const inflateEither: Decoder = (input, options) =>
  promisify(inflate)(input, options).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ERR_BUFFER_TOO_LARGE' ? Promise.reject(error) : promisify(inflateRaw)(input, options),
  );

/** The content codings a request body may have (as Graph accepts compressed request bodies). */
const DECODERS: ReadonlyMap<string, Decoder> = new Map([
  ['gzip', promisify(gunzip)],
  ['x-gzip', promisify(gunzip)],
  ['deflate', inflateEither],
  ['br', promisify(brotliDecompress)],
]);

/**
 * The request body as text; past the limit 413 (a chunked body has no Content-Length to check first).
 * A gzip, deflate or br body is decoded, and 413 too once it inflates past the limit; any other
 * Content-Encoding is 415, never read as if it were plain.
 */
async function bodyText(request: HttpRequest): Promise<string> {
  const coding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') {
    const text = await request.text();
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLargeError();
    return text;
  }
  const decode = DECODERS.get(coding);
  if (!decode) {
    throw new ServiceError('UnsupportedMediaType', `Content-Encoding '${coding}' is not supported: send the body uncompressed, or as gzip, deflate or br.`);
  }
  const encoded = Buffer.from(await request.arrayBuffer());
  if (encoded.length > MAX_BODY_BYTES) throw tooLargeError();
  if (encoded.length === 0) return '';
  let decoded: Buffer;
  try {
    decoded = await decode(encoded, { maxOutputLength: MAX_BODY_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLargeError();
    throw new ServiceError('BadRequest', `The request body is not valid ${coding} data.`);
  }
  return decoded.toString('utf8');
}

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\b/;

function contentTypeOf(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').toLowerCase();
}

function parseJson(text: string, contentType: string): unknown {
  if (contentType && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new ServiceError('UnsupportedMediaType', 'The request body must be application/json.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError('BadRequest', 'The request body is not valid JSON.');
  }
}

function parseBody<TBody>(text: string, contentType: string, spec: NonNullable<Operation<TBody>['body']>): TBody {
  let raw: unknown;
  if (spec.format === 'form') {
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      throw new ServiceError('UnsupportedMediaType', 'The request body must be application/x-www-form-urlencoded.');
    }
    raw = Object.fromEntries(new URLSearchParams(text));
  } else {
    if (text.trim() === '') throw new ServiceError('BadRequest', 'A JSON request body is required.');
    raw = parseJson(text, contentType);
  }
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
    const message =
      issue?.code === 'unrecognized_keys'
        ? `Unknown property '${[...(field ? [field] : []), ...issue.keys].join('.')}' in the request body.`
        : `Invalid request body${field ? ` at '${field}'` : ''}: ${issue?.message ?? 'invalid value'}.`;
    throw new ServiceError('BadRequest', message);
  }
  return parsed.data;
}

/**
 * An operation without a request body (an action such as resetPasscode, a DELETE) accepts none or an
 * empty JSON object; anything else is refused as Graph refuses parameters an action does not have:
 * 415 for another media type, 400 for malformed JSON or any property. Never silently ignored.
 */
function refuseBody(text: string, contentType: string): undefined {
  if (text.trim() === '') return undefined;
  const raw = parseJson(text, contentType);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServiceError('BadRequest', 'This operation takes no request body: send none, or {}.');
  }
  const [property] = Object.keys(raw);
  if (property !== undefined) throw new ServiceError('BadRequest', `Unknown property '${property}' in the request body: this operation takes no parameters.`);
  return undefined;
}

/** Whether the pipeline reads the body: declared bodies, and any body sent to an operation that takes none. */
export function readsBody(operation: AnyOperation, method: string): boolean {
  if (operation.body) return true;
  return !operation.documentedBody && !operation.catchAll && !/^(GET|HEAD)$/i.test(method);
}

/**
 * The request as an `Idempotency-Key` fingerprints it: method, path and body. A JSON body counts by its
 * content (whitespace aside), and for an operation that takes no body, `{}` is the same as none.
 */
function fingerprintOf(operation: AnyOperation, request: HttpRequest, text: string): string {
  let body = text.trim();
  try {
    body = JSON.stringify(JSON.parse(body));
  } catch {
    // Not JSON: the text as sent (refused later, after the key is checked).
  }
  if (!operation.body && body === '{}') body = '';
  return `${request.method.toUpperCase()} ${new URL(request.url).pathname.toLowerCase()}\n${body}`;
}

async function authenticate(
  operation: AnyOperation,
  request: HttpRequest,
  services: Services,
): Promise<{ user: UserPrincipal | undefined; device: DevicePrincipal | undefined }> {
  const { auth } = operation;
  if (auth === 'anonymous') return { user: undefined, device: undefined };
  const authorization = request.headers.get('authorization');
  const isDeviceAssertion = /^DeviceAssertion\s/i.test(authorization ?? '');
  if (auth === 'device' || (auth === 'userOrDevice' && isDeviceAssertion)) {
    const authenticator = services.deviceAuthenticator;
    if (!authorization || !isDeviceAssertion) {
      throw new ServiceError('InvalidAuthenticationToken', 'A device assertion is required: Authorization: DeviceAssertion <JWT>.', {
        headers: { 'WWW-Authenticate': services.deviceChallenge(false) },
      });
    }
    return { user: undefined, device: await authenticator.authenticate(authorization, services.config.publicBaseUrl) };
  }
  return { user: await services.tokens.validate(authorization), device: undefined };
}

function authorize(
  operation: AnyOperation,
  user: UserPrincipal | undefined,
  device: DevicePrincipal | undefined,
  params: Record<string, string>,
  services: Services,
): void {
  const tenantFromRoute = operation.tenantParam === undefined ? undefined : params[operation.tenantParam];
  if (user && operation.tenantParam !== undefined) requireOwnTenant(user, tenantFromRoute);
  if (device && operation.tenantParam !== undefined && tenantFromRoute?.toLowerCase() !== device.tenantId) {
    throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.');
  }
  if (!user) return;
  const { config } = services;
  if (operation.auth === 'admin') requireAdministrator(user, config.adminRoleIds);
  if (operation.auth === 'passcodeAdmin') requireAdministrator(user, config.passcodeResetRoleIds);
  if (operation.auth === 'mfaUser') {
    requireRecentMfa(
      user,
      { maxAgeSeconds: config.mfaMaxAgeSeconds, authContextId: config.mfaAuthContextId },
      Math.floor(services.clock().getTime() / 1000),
      `${config.authorityUrl}/common/oauth2/v2.0/authorize`,
    );
  }
}

/** The OData options of the request (a request without a query string costs nothing here). */
function odataQueryOf(operation: AnyOperation, request: HttpRequest): ODataQuery {
  const names = [...request.query.keys()];
  if (!operation.odata && names.length === 0) return EMPTY_ODATA_QUERY;
  const prefixOptional = isGraphPath(pathnameOf(request));
  if (!operation.odata && !names.some((name) => odataOptionOf(name, prefixOptional))) return EMPTY_ODATA_QUERY;
  return parseODataQuery(request.query, operation.odata, { prefixOptional });
}

/**
 * The composition root is loaded on the first request, not when function modules are imported: the
 * storage SDK and jose stay off the cold-start path of the Functions host.
 */
let wiring: Promise<typeof import('../wiring.js')> | undefined;
function loadServices(): Promise<Services> {
  wiring ??= import('../wiring.js');
  return wiring.then((module) => module.getServices());
}

/** Runs one operation: limits, authentication, authorization, OData, body, then the handler. */
export async function runOperation(
  operation: AnyOperation,
  request: HttpRequest,
  invocation: InvocationContext,
  params: Record<string, string>,
  ids: RequestIds,
): Promise<HttpResponseInit> {
  const contentLength = Number(request.headers.get('content-length') ?? '0');
  if (contentLength > MAX_BODY_BYTES) throw tooLargeError();
  const services = await loadServices();
  const { user, device } = await authenticate(operation, request, services);
  // Errors before the handler starts are refusals (onRefused); the handler's own are not.
  let handlerStarted = false;
  try {
    return await admitAndHandle(operation, request, { invocation, params, ids, services, user, device }, () => {
      handlerStarted = true;
    });
  } catch (error) {
    if (!handlerStarted && user && operation.onRefused && error instanceof ServiceError) await operation.onRefused({ user, error, services, ids });
    throw error;
  }
}

/** Authorization, OData, body and idempotency, then the handler (`startingHandler` is called right before it). */
async function admitAndHandle(
  operation: AnyOperation,
  request: HttpRequest,
  caller: Omit<OperationContext<unknown>, 'request' | 'config' | 'query' | 'body'>,
  startingHandler: () => void,
): Promise<HttpResponseInit> {
  const { invocation, params, ids, services, user, device } = caller;
  authorize(operation, user, device, params, services);
  const query = operation.catchAll ? EMPTY_ODATA_QUERY : odataQueryOf(operation, request);
  const text = readsBody(operation, request.method) ? await bodyText(request) : '';
  const contentType = contentTypeOf(request);
  const bodyOf = () => (operation.body ? parseBody(text, contentType, operation.body) : refuseBody(text, contentType));
  const context = (body: unknown): OperationContext<unknown> => ({
    request,
    invocation,
    ids,
    services,
    config: services.config,
    params,
    query,
    body,
    user,
    device,
  });
  const key = operation.idempotent && user ? parseIdempotencyKey(request.headers.get('idempotency-key')) : undefined;
  if (operation.idempotent && user && key !== undefined) {
    // The key is checked before the body, so a reused key with a different body is 422 whatever that body is.
    if (operation.requires === 'activeTenant') await requireActiveTenant(services.tenants, user.tenantId, services.config.publicBaseUrl);
    return runIdempotentOperation(operation.idempotent, key, fingerprintOf(operation, request, text), services, user, async () => {
      const body = bodyOf();
      startingHandler();
      return operation.handle(context(body));
    });
  }
  const body = bodyOf();
  if (operation.requires === 'activeTenant') await requireActiveTenant(services.tenants, (user ?? device)?.tenantId ?? '', services.config.publicBaseUrl);
  startingHandler();
  return operation.handle(context(body));
}

/**
 * `Idempotency-Key` (operations that declare `idempotent`): the first request with a key runs, the same
 * key and request again answers the stored status and body (`Idempotent-Replayed: true`), the same key
 * with another request (path or body) is 422. Keys are scoped to the caller and the operation.
 */
async function runIdempotentOperation(
  spec: IdempotencySpec,
  key: string,
  fingerprint: string,
  services: Services,
  user: UserPrincipal,
  execute: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  const outcome = await runIdempotently(
    services.idempotencyKeys,
    services.clock,
    { tenantId: user.tenantId, scope: `${user.objectId}|${spec.scope}`, key, fingerprint },
    async (): Promise<IdempotentOutcome> => {
      const response = await execute();
      return { status: response.status ?? 200, body: typeof response.body === 'string' ? response.body : undefined };
    },
  );
  const headers: Record<string, string> = outcome.replayed ? { 'Idempotent-Replayed': 'true' } : {};
  return outcome.body === undefined ? empty(outcome.status, headers) : { ...json(outcome.status, JSON.parse(outcome.body), headers) };
}

export function methodNotAllowed(definition: RouteDefinition): ServiceError {
  const methods = Object.keys(definition.methods);
  const allowed = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
  return new ServiceError('MethodNotAllowed', `The HTTP method is not supported on this resource. Allowed: ${allowed}.`, { headers: { Allow: allowed } });
}

/** What a method no route serves gets: 405 with Allow on a resource; on the catch-all (`{*path}`), as on any unknown path, 404. */
export function unservedMethodError(definition: RouteDefinition | undefined): ServiceError {
  return !definition || definition.route.startsWith('{*') ? notFound() : methodNotAllowed(definition);
}

/** The Functions handler of one route: dispatch by method through the pipeline. */
export function createRouteHandler(definition: RouteDefinition): RouteHandler {
  return async (request, invocation) => {
    const ids = requestIdsOf(request);
    const pathname = pathnameOf(request);
    let response: HttpResponseInit;
    try {
      if (definition.devOnly && !getConfig().devMode) throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.');
      const method = request.method.toUpperCase();
      const operation = definition.methods[(method === 'HEAD' ? 'GET' : method) as HttpMethod];
      if (!operation) throw unservedMethodError(definition);
      response = await runOperation(operation, request, invocation, { ...request.params }, ids);
      if (method === 'HEAD') response = { ...response, body: undefined };
    } catch (error) {
      response = failureResponse(error, ids, invocation);
    }
    return withStandardHeaders(response, ids, pathname);
  };
}

/** Every response the pipeline did not produce itself (the local host's 404 and 413) uses this. */
export function standaloneErrorResponse(error: ServiceError, request: HttpRequest, invocation: InvocationContext): HttpResponseInit {
  const ids = requestIdsOf(request);
  return withStandardHeaders(failureResponse(error, ids, invocation), ids, pathnameOf(request));
}
