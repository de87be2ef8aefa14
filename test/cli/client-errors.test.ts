import { describe, expect, it } from 'vitest';
import { errorFromResponse, GraphApiError, MfaRequiredError, parseRetryAfter, parseWwwAuthenticate } from '../../cli/client/errors.js';

const envelope = (code: string, message: string) =>
  JSON.stringify({
    error: { code, message, innerError: { date: '2025-01-01T00:00:00Z', 'request-id': 'body-request-id', 'client-request-id': 'body-client-id' } },
  });

describe('Graph errors in the client library', () => {
  it("turns Graph's envelope into a GraphApiError with status, code, message and the request-id header", () => {
    const response = new Response(envelope('Request_ResourceNotFound', 'The requested resource was not found.'), {
      status: 404,
      headers: { 'request-id': 'header-request-id', 'content-type': 'application/json' },
    });
    const error = errorFromResponse(response, envelope('Request_ResourceNotFound', 'The requested resource was not found.'));
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).not.toBeInstanceOf(MfaRequiredError);
    expect(error).toMatchObject({
      status: 404,
      code: 'Request_ResourceNotFound',
      message: 'The requested resource was not found.',
      requestId: 'header-request-id',
      clientRequestId: 'body-client-id',
      date: '2025-01-01T00:00:00Z',
    });
  });

  it('surfaces MfaRequired as MfaRequiredError carrying the decoded claims challenge', () => {
    const claims = Buffer.from(JSON.stringify({ access_token: { amr: { essential: true, values: ['mfa', 'ngcmfa'] } } })).toString('base64');
    const response = new Response('', {
      status: 401,
      headers: {
        'www-authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${claims}"`,
      },
    });
    const error = errorFromResponse(response, envelope('MfaRequired', 'Multi-factor authentication is required for this operation.'));
    expect(error).toBeInstanceOf(MfaRequiredError);
    const mfa = error as MfaRequiredError;
    expect(mfa.claims).toBe(claims);
    expect(mfa.claimsRequest).toEqual({ access_token: { amr: { essential: true, values: ['mfa', 'ngcmfa'] } } });
    expect(mfa.authorizationUri).toBe('https://login.microsoftonline.com/common/oauth2/authorize');
    expect(mfa.code).toBe('MfaRequired');
  });

  it("keeps a generic code when the body is not Graph's envelope (a proxy page)", () => {
    const response = new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const error = errorFromResponse(response, '<html>bad gateway</html>');
    expect(error.code).toBe('Http502');
    expect(error.message).toBe('The service answered 502 Bad Gateway.');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1, 0, 0, 0))).toBe(30);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('parses WWW-Authenticate parameters, quoted or not', () => {
    expect(parseWwwAuthenticate('Bearer realm="", error=insufficient_claims, claims="e30="')).toEqual({
      scheme: 'Bearer',
      params: { realm: '', error: 'insufficient_claims', claims: 'e30=' },
    });
    expect(parseWwwAuthenticate(undefined)).toBeUndefined();
  });
});
