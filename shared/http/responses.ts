import type { HttpResponseInit } from '@azure/functions';
import type { ServiceError } from '../domain/errors.js';
import { statusOf } from './error-catalogue.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A response's headers as one plain record with lower-case names (what `new Headers(...)` gives, without
 * building one: the pipeline and the local host read and amend headers on every request).
 */
export function headerRecord(headers: HttpResponseInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  const entries =
    headers instanceof Headers || Array.isArray(headers) ? [...(headers as Iterable<[string, string]>)] : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    record[key] = key in record ? `${record[key]}, ${value}` : String(value);
  }
  return record;
}

declare const replyBody: unique symbol;
declare const htmlPage: unique symbol;
declare const rawBody: unique symbol;

/**
 * A response whose type carries its status and the type of its body (type-only: at run time it is a
 * plain `HttpResponseInit`). Operations declare which replies they give; `tsc` checks the handlers.
 */
export interface Reply<Status extends number = number, Body = unknown> extends HttpResponseInit {
  status: Status;
  readonly [replyBody]: Body;
}

/** The body type of an HTML page reply. */
export interface HtmlPage {
  readonly [htmlPage]: true;
}

/** The body type of a static asset (script, style sheet, image) of a declared media type. */
export interface RawBody {
  readonly [rawBody]: true;
}

/** A static asset: `contentType` must be one of the media types the operation declares for `status`. */
export function raw<Status extends number>(
  status: Status,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): Reply<Status, RawBody> {
  return { status, headers: { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', ...headers }, body } as unknown as Reply<Status, RawBody>;
}

export function json<Status extends number, Body>(status: Status, body: Body, headers: Record<string, string> = {}): Reply<Status, Body> {
  return { status, headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) } as unknown as Reply<Status, Body>;
}

/** A reply with no body: 204, 304, or a stored answer of any status replayed without one. */
export function empty<Status extends number>(status: Status, headers: Record<string, string> = {}): Reply<Status, undefined> {
  return { status, headers } as Reply<Status, undefined>;
}

export function noContent(headers: Record<string, string> = {}): Reply<204, undefined> {
  return empty(204, headers);
}

export function html<Status extends number>(status: Status, page: string, headers: Record<string, string> = {}): Reply<Status, HtmlPage> {
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: page,
  } as unknown as Reply<Status, HtmlPage>;
}

export function redirect(location: string): Reply<302, undefined> {
  return empty(302, { Location: location, 'Cache-Control': 'no-store' });
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

export interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

/** Graph's error envelope. */
export function errorResponse(error: ServiceError, ids: RequestIds, now = new Date()): HttpResponseInit {
  const headers: Record<string, string> = { ...error.headers };
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  return json(
    statusOf(error.code),
    {
      error: {
        code: error.code,
        message: error.message,
        innerError: { date: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
      },
    },
    headers,
  );
}
