/**
 * Typed errors of the client library. The service answers every error with Graph's envelope
 * `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`; callers match
 * on `code` (and on the error class for the MFA step-up), never on message text.
 */

export interface GraphErrorDetails {
  status: number;
  code: string;
  message: string;
  requestId: string | undefined;
  clientRequestId: string | undefined;
  date: string | undefined;
  /** Seconds, from `Retry-After` (429 and 503). */
  retryAfterSeconds: number | undefined;
}

/** An error answer of the service (or of anything that speaks Graph's envelope). */
export class GraphApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly date: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(details: GraphErrorDetails) {
    super(details.message);
    this.name = 'GraphApiError';
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
    this.date = details.date;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/**
 * 401 `MfaRequired`: the token lacks (recent) multi-factor authentication. `claims` is the claims
 * challenge of `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64>"`, to send back
 * to Entra ID (the `claims` parameter of the authorize request) to step up and retry.
 */
export class MfaRequiredError extends GraphApiError {
  /** The challenge exactly as sent (base64 of a JSON claims request). */
  readonly claims: string | undefined;
  /** The decoded claims request, e.g. `{"access_token":{"amr":{"essential":true,"values":["mfa","ngcmfa"]}}}`. */
  readonly claimsRequest: unknown;
  readonly authorizationUri: string | undefined;

  constructor(details: GraphErrorDetails, challenge: BearerChallenge) {
    super(details);
    this.name = 'MfaRequiredError';
    this.claims = challenge.params.claims;
    this.authorizationUri = challenge.params.authorization_uri;
    this.claimsRequest = decodeClaims(challenge.params.claims);
  }
}

/** The service could not be reached at all (connection refused, DNS, timeout). */
export class ServiceUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `Could not reach the PIN reset service at ${url}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`,
      { cause },
    );
    this.name = 'ServiceUnreachableError';
  }
}

/** A URL the client will not request with a credential: an absolute link off the service's origin. */
export class UntrustedUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedUrlError';
  }
}

export interface BearerChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="", error="insufficient_claims", claims="..."` (first challenge). */
export function parseWwwAuthenticate(header: string | null | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const param of (match[2] ?? '').matchAll(pattern)) {
    const name = param[1];
    if (name && !(name in params)) params[name] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1], params };
}

function decodeClaims(claims: string | undefined): unknown {
  if (!claims) return undefined;
  try {
    return JSON.parse(Buffer.from(claims, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date); undefined when absent or unusable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Builds the typed error for a non-2xx response whose body has already been read as text. */
export function errorFromResponse(response: Response, bodyText: string): GraphApiError {
  let code = `Http${response.status}`;
  let message = `${`The service answered ${response.status} ${response.statusText}`.trim()}.`;
  let innerError: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } };
    if (parsed.error && typeof parsed.error.code === 'string') {
      code = parsed.error.code;
      if (typeof parsed.error.message === 'string') message = parsed.error.message;
      innerError = parsed.error.innerError ?? {};
    }
  } catch {
    // Not Graph's envelope (a proxy's HTML page, an empty body): keep the generic code and message.
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const details: GraphErrorDetails = {
    status: response.status,
    code,
    message,
    requestId: response.headers.get('request-id') ?? text(innerError['request-id']),
    clientRequestId: response.headers.get('client-request-id') ?? text(innerError['client-request-id']),
    date: text(innerError.date),
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
  };
  const challenge = parseWwwAuthenticate(response.headers.get('www-authenticate'));
  if (response.status === 401 && (code === 'MfaRequired' || challenge?.params.error === 'insufficient_claims')) {
    return new MfaRequiredError(details, challenge ?? { scheme: 'Bearer', params: {} });
  }
  return new GraphApiError(details);
}
