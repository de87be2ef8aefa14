/**
 * The closed set of error codes the service answers with, and the one error type that carries them.
 * Services and adapters throw `ServiceError`; the HTTP pipeline turns it into Graph's error envelope
 * using the catalogue in shared/http/error-catalogue.ts. Callers match on `code`, never on message text.
 */
export type ErrorCode =
  | 'BadRequest'
  | 'Request_BadRequest'
  | 'InvalidAuthenticationToken'
  | 'MfaRequired'
  | 'Authorization_RequestDenied'
  | 'Request_ResourceNotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'PreconditionFailed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'UnprocessableEntity'
  | 'RequestTimeout'
  | 'RequestHeaderFieldsTooLarge'
  | 'InvalidProtectedSecret'
  | 'TooManyRequests'
  | 'ServiceUnavailable'
  | 'InternalServerError';

export interface ServiceErrorOptions {
  /** Seconds, for 429 and 503. */
  retryAfterSeconds?: number;
  /** Extra response headers, e.g. a WWW-Authenticate challenge. */
  headers?: Record<string, string>;
  /** Kept for logs only, never sent to the client. */
  cause?: unknown;
}

export class ServiceError extends Error {
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

export function isServiceError(error: unknown, code?: ErrorCode): error is ServiceError {
  return error instanceof ServiceError && (code === undefined || error.code === code);
}

export const notFound = (message = 'The requested resource was not found.') => new ServiceError('Request_ResourceNotFound', message);
export const badRequest = (message: string) => new ServiceError('BadRequest', message);
export const forbidden = (message = 'Insufficient privileges to complete the operation.') => new ServiceError('Authorization_RequestDenied', message);
export const conflict = (message: string) => new ServiceError('Conflict', message);

/**
 * A feature other than onboarding used for a tenant that is not `active`. `onboardingUrl` is the full
 * address where an administrator onboards it (the service's /onboarding/start?tenant=...).
 */
export function tenantNotOnboarded(onboardingUrl: string): ServiceError {
  return new ServiceError(
    'Authorization_RequestDenied',
    `This tenant is not onboarded to the PIN reset service (or was offboarded). An administrator must complete onboarding first: open ${onboardingUrl} in a browser.`,
  );
}

/** Where an administrator onboards a tenant: the full address, so that a message can be followed as is. */
export function onboardingStartUrl(publicBaseUrl: string, tenantId: string): string {
  return `${publicBaseUrl}/onboarding/start?tenant=${encodeURIComponent(tenantId)}`;
}
