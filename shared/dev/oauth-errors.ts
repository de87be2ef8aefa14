import { randomUUID } from 'node:crypto';

/**
 * OAuth 2.0 error responses as Microsoft Entra ID's v2.0 endpoints send them: `error`,
 * `error_description` starting with the AADSTS number (trace id, correlation id and timestamp on
 * lines of their own, after CRLF), `error_codes`, `timestamp`, `trace_id`, `correlation_id`,
 * `error_uri` (Microsoft's page for the code; and `suberror`/`claims` where Entra adds them).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'access_denied'
  | 'invalid_tenant'
  | 'interaction_required'
  | 'unsupported_response_type'
  | 'login_required';

export interface OAuthError {
  error: OAuthErrorCode;
  aadsts: number;
  description: string;
  suberror?: string;
  claims?: string;
}

export function oauthError(error: OAuthErrorCode, aadsts: number, description: string, extra: Pick<OAuthError, 'suberror' | 'claims'> = {}): OAuthError {
  return { error, aadsts, description, ...extra };
}

/** 401 for a client that failed to authenticate (RFC 6749 §5.2), else 400. */
export function statusOfOAuthError(error: OAuthError): number {
  return error.error === 'invalid_client' ? 401 : 400;
}

/** Where Entra's error_uri points for every AADSTS code (a public page that explains it). */
const ERROR_PAGE = 'https://login.microsoftonline.com/error';

export function oauthErrorBody(error: OAuthError, correlationId: string = randomUUID(), now = new Date()): Record<string, unknown> {
  const timestamp = now
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  const traceId = randomUUID();
  return {
    error: error.error,
    error_description: `AADSTS${error.aadsts}: ${error.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [error.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${ERROR_PAGE}?code=${error.aadsts}`,
    ...(error.suberror ? { suberror: error.suberror } : {}),
    ...(error.claims ? { claims: error.claims } : {}),
  };
}

export function oauthErrorResponse(error: OAuthError, correlationId?: string): Response {
  return new Response(JSON.stringify(oauthErrorBody(error, correlationId)), {
    status: statusOfOAuthError(error),
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
