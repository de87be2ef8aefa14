import functions, { type HttpResponseInit } from '@azure/functions';
import { createRouteHandler } from '../../shared/http/pipeline.js';
import { RouteMatcher } from '../../shared/http/route-table.js';
import { ROUTES } from '../../functions/routes.js';
import { getConfig } from '../../shared/config.js';

const { HttpRequest, InvocationContext } = functions;

export interface InvokeResult {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

/**
 * Calls the route table's handler directly, as the Functions host would (no HTTP server): the
 * request is matched against the same table, so params come out exactly as in production.
 */
export async function invoke(method: string, path: string, options: { headers?: Record<string, string>; body?: string | object } = {}): Promise<InvokeResult> {
  const url = new URL(path, getConfig().publicBaseUrl);
  const match = new RouteMatcher(ROUTES).match(url.pathname);
  if (!match) throw new Error(`no route for ${path}`);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers = { ...(typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const request = new HttpRequest({ method, url: url.toString(), headers, params: match.params, ...(body !== undefined ? { body: { string: body } } : {}) });
  const response: HttpResponseInit = await createRouteHandler(match.definition)(request, new InvocationContext({ functionName: match.definition.name }));
  const text = typeof response.body === 'string' ? response.body : '';
  return {
    status: response.status ?? 200,
    headers: new Headers(response.headers as ConstructorParameters<typeof Headers>[0]),
    text,
    json: () => JSON.parse(text),
  };
}
