import { ServiceError } from '../domain/errors.js';

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'REQUEST_SEND_ERROR', 'EPIPE', 'UND_ERR_SOCKET']);

/** The storage error code, wherever data-tables put it (single-entity errors keep it in details). */
export function storageErrorCode(error: unknown): string | undefined {
  const restError = error as RestErrorLike | undefined;
  return restError?.details?.errorCode ?? restError?.code;
}

export function isStorageNotFound(error: unknown): boolean {
  return (error as RestErrorLike | undefined)?.statusCode === 404;
}

/**
 * The one place where Table storage errors become domain errors:
 * 409 → Conflict, 412 → PreconditionFailed, unreachable or 5xx → ServiceUnavailable (503, Retry-After).
 * Anything else (400 from a malformed entity, for instance) is a bug and is rethrown unchanged.
 */
export function translateStorageError(error: unknown): never {
  if (error instanceof ServiceError) throw error;
  const restError = error as RestErrorLike | undefined;
  const status = restError?.statusCode;
  const code = storageErrorCode(error);
  if (status === 409) throw new ServiceError('Conflict', 'The resource was changed or created by another request.', { cause: error });
  if (status === 412) throw new ServiceError('PreconditionFailed', 'The resource was changed by another request; read it again and retry.', { cause: error });
  if (status === 404) throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.', { cause: error });
  if ((status !== undefined && status >= 500) || (status === undefined && (code === undefined || UNREACHABLE_CODES.has(code) || restError?.name === 'RestError'))) {
    throw new ServiceError('ServiceUnavailable', 'Storage is temporarily unavailable. Retry later.', { retryAfterSeconds: 5, cause: error });
  }
  throw error;
}

/** Runs a storage call and translates its errors. */
export async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    return translateStorageError(error);
  }
}

/** Runs a point read and answers undefined for 404. */
export async function readOrUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isStorageNotFound(error)) return undefined;
    return translateStorageError(error);
  }
}
