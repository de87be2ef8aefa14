import { createHash } from 'node:crypto';
import { isWellFormedText } from '../domain/text.js';
import type { Collection } from '../contract/graph.js';
import { ServiceError } from '../domain/errors.js';
import { contextFragment, odataOptionOf, project } from './odata.js';
import type { OperationContext } from './pipeline.js';
import { json, type Reply } from './responses.js';

/** `<base>/v1.0/$metadata#<fragment>` with this service's own public base URL. */
export function odataContext(context: OperationContext<unknown>, fragment: string): string {
  return `${context.config.publicBaseUrl}/v1.0/$metadata#${fragment}`;
}

/**
 * A Graph collection; `nextLink` is omitted on the last page (never null). With `$select` the values are
 * projections: operations that allow `$select` declare a selection schema (no property required).
 */
export function graphCollection<T extends object>(
  context: OperationContext<unknown>,
  set: string,
  values: readonly T[],
  options: { nextLink?: string | undefined; headers?: Record<string, string> } = {},
): Reply<200, Collection<T>> {
  const { select } = context.query;
  const body: Collection<T> = {
    '@odata.context': odataContext(context, contextFragment(set, select)),
    value: values.map((value) => project(value, select) as T),
  };
  if (options.nextLink) body['@odata.nextLink'] = options.nextLink;
  return json(200, body, options.headers);
}

/** A single Graph entity (`#<set>/$entity`). */
export function graphEntity<T extends object, Status extends number = 200>(
  context: OperationContext<unknown>,
  set: string,
  entity: T,
  status: Status = 200 as Status,
): Reply<NoInfer<Status>, T & { '@odata.context': string }> {
  const { select } = context.query;
  return json(status, { '@odata.context': odataContext(context, `${contextFragment(set, select)}/$entity`), ...(project(entity, select) as T) });
}

/** The request's own URL with `$skiptoken` replaced: the `@odata.nextLink` of a paged collection. */
function nextLinkFor(context: OperationContext<unknown>, skiptoken: string | undefined): string | undefined {
  if (!skiptoken) return undefined;
  const url = new URL(context.request.url);
  const next = new URL(`${context.config.publicBaseUrl}${url.pathname}`);
  for (const [name, value] of url.searchParams) if (odataOptionOf(name, true) !== '$skiptoken') next.searchParams.append(name, value);
  next.searchParams.set('$skiptoken', skiptoken);
  return next.toString();
}

/**
 * What a `$skiptoken` is valid for: the caller's tenant and the path of the collection that issued it
 * (hashed, so the token stays short and opaque). A token presented anywhere else is refused: a storage
 * continuation of another table or partition would otherwise start a page at an arbitrary row.
 */
function skiptokenScope(context: OperationContext<unknown>): string {
  const tenantId = (context.user ?? context.device)?.tenantId ?? '';
  const path = new URL(context.request.url).pathname.toLowerCase().replace(/\/+$/, '');
  return createHash('sha256').update(`${tenantId}\n${path}`, 'utf8').digest('base64url').slice(0, 22);
}

/** A storage continuation token as an opaque `$skiptoken` (base64url of JSON), bound to its scope. */
function encodeSkiptoken(continuationToken: string, scope: string): string {
  return Buffer.from(JSON.stringify({ c: continuationToken, s: scope })).toString('base64url');
}

const MAX_CONTINUATION_CHARS = 2048;

/**
 * The continuation token inside the request's `$skiptoken`, or undefined without one. Anything this
 * collection did not issue to this tenant is 400: not base64url, not a JSON object with exactly the
 * keys `c` and `s`, another scope (route or tenant), or a `c` that is not a non-empty, bounded,
 * well-formed string (a lone surrogate would make the storage SDK's encodeURIComponent throw).
 */
export function continuationOf(context: OperationContext<unknown>): string | undefined {
  const { skiptoken } = context.query;
  if (skiptoken === undefined) return undefined;
  if (/^[A-Za-z0-9_-]{1,4096}$/.test(skiptoken)) {
    const bytes = Buffer.from(skiptoken, 'base64url');
    const text = bytes.toString('utf8');
    // A round trip proves valid UTF-8 (no replacement characters were made up).
    if (Buffer.from(text, 'utf8').equals(bytes)) {
      let decoded: unknown;
      try {
        decoded = JSON.parse(text);
      } catch {
        decoded = undefined;
      }
      if (isContinuation(decoded) && decoded.s === skiptokenScope(context)) return decoded.c;
    }
  }
  throw new ServiceError('Request_BadRequest', 'Invalid $skiptoken value.');
}

function isContinuation(value: unknown): value is { c: string; s: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value).sort();
  const { c, s } = value as { c?: unknown; s?: unknown };
  return (
    keys.length === 2 &&
    keys[0] === 'c' &&
    keys[1] === 's' &&
    typeof s === 'string' &&
    typeof c === 'string' &&
    c.length > 0 &&
    c.length < MAX_CONTINUATION_CHARS &&
    isWellFormedText(c)
  );
}

/** `@odata.nextLink` for the page after this one, or undefined on the last page. */
export function nextLinkAfter(context: OperationContext<unknown>, continuationToken: string | undefined): string | undefined {
  return nextLinkFor(context, continuationToken ? encodeSkiptoken(continuationToken, skiptokenScope(context)) : undefined);
}
