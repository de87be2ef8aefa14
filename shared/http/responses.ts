import type { HttpResponseInit } from '@azure/functions';
import type { ServiceError } from '../domain/errors.js';
import { statusOf } from './error-catalogue.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

export function noContent(headers: Record<string, string> = {}): HttpResponseInit {
  return { status: 204, headers };
}

export function html(status: number, page: string, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: page,
  };
}

export function redirect(location: string): HttpResponseInit {
  return { status: 302, headers: { Location: location, 'Cache-Control': 'no-store' } };
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
  return json(statusOf(error.code), {
    error: {
      code: error.code,
      message: error.message,
      innerError: { date: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
    },
  }, headers);
}
