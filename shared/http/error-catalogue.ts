import type { ErrorCode } from '../domain/errors.js';

/** The one place that says which HTTP status each error code is. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  BadRequest: 400,
  Request_BadRequest: 400,
  InvalidProtectedSecret: 400,
  InvalidAuthenticationToken: 401,
  MfaRequired: 401,
  Authorization_RequestDenied: 403,
  Request_ResourceNotFound: 404,
  MethodNotAllowed: 405,
  RequestTimeout: 408,
  Conflict: 409,
  PreconditionFailed: 412,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  UnprocessableEntity: 422,
  RequestHeaderFieldsTooLarge: 431,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
};

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}
