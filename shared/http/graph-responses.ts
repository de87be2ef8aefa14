import type { HttpResponseInit } from '@azure/functions';
import { ServiceError } from '../domain/errors.js';
import { contextFragment, project } from './odata.js';
import type { OperationContext } from './pipeline.js';
import { json } from './responses.js';

/** `<base>/v1.0/$metadata#<fragment>` with this service's own public base URL. */
export function odataContext(context: OperationContext<unknown>, fragment: string): string {
  return `${context.config.publicBaseUrl}/v1.0/$metadata#${fragment}`;
}

/** A Graph collection; `nextLink` is omitted on the last page (never null). */
export function graphCollection<T extends object>(
  context: OperationContext<unknown>,
  set: string,
  values: readonly T[],
  options: { nextLink?: string | undefined; headers?: Record<string, string> } = {},
): HttpResponseInit {
  const { select } = context.query;
  const body: Record<string, unknown> = {
    '@odata.context': odataContext(context, contextFragment(set, select)),
    value: values.map((value) => project(value, select)),
  };
  if (options.nextLink) body['@odata.nextLink'] = options.nextLink;
  return json(200, body, options.headers);
}

/** A single Graph entity (`#<set>/$entity`). */
export function graphEntity<T extends object>(context: OperationContext<unknown>, set: string, entity: T, status = 200): HttpResponseInit {
  const { select } = context.query;
  return json(status, { '@odata.context': odataContext(context, `${contextFragment(set, select)}/$entity`), ...project(entity, select) });
}

/** The request's own URL with `$skiptoken` replaced: the `@odata.nextLink` of a paged collection. */
export function nextLinkFor(context: OperationContext<unknown>, skiptoken: string | undefined): string | undefined {
  if (!skiptoken) return undefined;
  const url = new URL(context.request.url);
  const next = new URL(`${context.config.publicBaseUrl}${url.pathname}`);
  for (const [name, value] of url.searchParams) if (name.toLowerCase() !== '$skiptoken') next.searchParams.append(name, value);
  next.searchParams.set('$skiptoken', skiptoken);
  return next.toString();
}

/** A storage continuation token as an opaque `$skiptoken` (base64url of JSON). */
export function encodeSkiptoken(continuationToken: string): string {
  return Buffer.from(JSON.stringify({ c: continuationToken })).toString('base64url');
}

/** The continuation token inside a `$skiptoken` this service issued; anything else is 400. */
export function decodeSkiptoken(skiptoken: string | undefined): string | undefined {
  if (skiptoken === undefined) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(skiptoken, 'base64url').toString('utf8')) as { c?: unknown };
    if (typeof decoded.c === 'string' && decoded.c.length > 0 && decoded.c.length < 2048) return decoded.c;
  } catch {
    // not ours
  }
  throw new ServiceError('Request_BadRequest', 'Invalid $skiptoken value.');
}

/** `@odata.nextLink` for the page after this one, or undefined on the last page. */
export function nextLinkAfter(context: OperationContext<unknown>, continuationToken: string | undefined): string | undefined {
  return nextLinkFor(context, continuationToken ? encodeSkiptoken(continuationToken) : undefined);
}
