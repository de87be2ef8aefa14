import { isWellFormedText } from '../domain/text.js';
import { isServiceError, ServiceError } from '../domain/errors.js';

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

/** Errors of the storage pipeline itself (network, identity, timeouts): the dependency is down, not our code. */
const DEPENDENCY_ERROR_NAMES = new Set(['RestError', 'CredentialUnavailableError', 'AuthenticationError', 'AbortError']);

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'REQUEST_SEND_ERROR', 'EPIPE', 'UND_ERR_SOCKET']);

/** The storage error code, wherever data-tables put it (single-entity errors keep it in details). */
export function storageErrorCode(error: unknown): string | undefined {
  const restError = error as RestErrorLike | undefined;
  return restError?.details?.errorCode ?? restError?.code;
}

export function isStorageNotFound(error: unknown): boolean {
  return (error as RestErrorLike | undefined)?.statusCode === 404 && storageErrorCode(error) !== 'TableNotFound';
}

/** 409 from storage itself (e.g. a table or entity that already exists). */
export function isStorageConflict(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return (cause as RestErrorLike | undefined)?.statusCode === 409;
}

/**
 * The one place where Table storage errors become domain errors:
 * 409 → Conflict, 412 → PreconditionFailed, unreachable, past its deadline (AbortError) or 5xx →
 * ServiceUnavailable (503, Retry-After). A missing table is storage not provisioned (Bicep or
 * `createTables` makes them; never at request time): also 503, not a 404 about the caller's resource.
 * Anything else (a 400 from a malformed entity, a TypeError in our code) is a bug and is rethrown
 * unchanged, to become a logged 500.
 */
export function translateStorageError(error: unknown): never {
  if (error instanceof ServiceError) throw error;
  const restError = error as RestErrorLike | undefined;
  const status = restError?.statusCode;
  const code = storageErrorCode(error);
  if (status === 409) throw new ServiceError('Conflict', 'The resource was changed or created by another request.', { cause: error });
  if (status === 412) throw new ServiceError('PreconditionFailed', 'The resource was changed by another request; read it again and retry.', { cause: error });
  if (status === 404 && code === 'TableNotFound') {
    throw new ServiceError('ServiceUnavailable', 'Storage is not provisioned (a table is missing). Retry later.', { retryAfterSeconds: 5, cause: error });
  }
  if (status === 404) throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.', { cause: error });
  const unreachable = (code !== undefined && UNREACHABLE_CODES.has(code)) || DEPENDENCY_ERROR_NAMES.has(restError?.name ?? '');
  if ((status !== undefined && status >= 500) || (status === undefined && unreachable)) {
    throw new ServiceError('ServiceUnavailable', 'Storage is temporarily unavailable. Retry later.', { retryAfterSeconds: 5, cause: error });
  }
  throw error;
}

/**
 * A conditional write that did not hold, after translation: the row was created by someone else
 * (Conflict), changed since its ETag (PreconditionFailed) or deleted (Request_ResourceNotFound).
 */
export function isConditionFailure(error: unknown): boolean {
  return isServiceError(error, 'Conflict') || isServiceError(error, 'PreconditionFailed') || isServiceError(error, 'Request_ResourceNotFound');
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

/**
 * A continuation token a client handed back (inside a `$skiptoken`) must be one the Tables SDK made:
 * base64 JSON with `nextPartitionKey`. Anything else is the client's error, not storage's.
 */
export function checkedContinuationToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const bytes = Buffer.from(token, 'base64');
    const text = bytes.toString('utf8');
    const parsed: unknown = Buffer.from(text, 'utf8').equals(bytes) ? JSON.parse(text) : undefined;
    if (isTableContinuation(parsed)) return token;
  } catch {
    // not a token of ours
  }
  throw new ServiceError('Request_BadRequest', 'Invalid $skiptoken value.');
}

/**
 * The storage SDK's continuation: `{nextPartitionKey, nextRowKey?}`, nothing else, each a well-formed
 * string (the SDK puts them through encodeURIComponent, which throws on a lone surrogate).
 */
function isTableContinuation(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  const keys = new Set(entries.map(([key]) => key));
  return (
    keys.has('nextPartitionKey') &&
    entries.every(([key, part]) => (key === 'nextPartitionKey' || key === 'nextRowKey') && typeof part === 'string' && isWellFormedText(part))
  );
}
