import { createHash } from 'node:crypto';
import { isServiceError, ServiceError } from '../domain/errors.js';
import type { IdempotencyRepository } from '../storage/idempotency-repository.js';
import type { Clock } from '../domain/clock.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotentOutcome {
  status: number;
  /** A response body without secrets (stored as is), or undefined for 204. */
  body?: string | undefined;
  /** True when this is the stored result of an earlier request with the same key. */
  replayed?: boolean;
}

export interface IdempotentRequest {
  tenantId: string;
  /** Who and what: keys are scoped to one caller and one operation. */
  scope: string;
  key: string;
  /** Method, path and body of the request: the same key with anything else is 422. */
  fingerprint: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** `Idempotency-Key`: printable ASCII, 1 to 255 characters. */
export function parseIdempotencyKey(header: string | null): string | undefined {
  if (header === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw new ServiceError('BadRequest', 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.');
  return header;
}

/**
 * Runs `execute` at most once per key: the same key with the same request answers the stored result,
 * with a different request 422, while the first is still running 409. A failed execution forgets the
 * key so the client can retry.
 */
export async function runIdempotently(
  repository: IdempotencyRepository,
  clock: Clock,
  request: IdempotentRequest,
  execute: () => Promise<IdempotentOutcome>,
): Promise<IdempotentOutcome> {
  const keyHash = sha256(`${request.scope}\n${request.key}`);
  const requestHash = sha256(request.fingerprint);
  const now = clock();
  let claim: Awaited<ReturnType<typeof repository.create>>;
  try {
    claim = await repository.create(request.tenantId, keyHash, {
      requestHash,
      state: 'inProgress',
      status: null,
      body: null,
      createdDateTime: now.toISOString(),
    });
  } catch (error) {
    if (!isServiceError(error, 'Conflict')) throw error;
    const existing = await repository.get(request.tenantId, keyHash);
    if (!existing) return runIdempotently(repository, clock, request, execute);
    if (now.getTime() - Date.parse(existing.value.createdDateTime) > IDEMPOTENCY_TTL_MS) {
      await repository.delete(request.tenantId, keyHash);
      return runIdempotently(repository, clock, request, execute);
    }
    if (existing.value.requestHash !== requestHash) {
      throw new ServiceError('UnprocessableEntity', 'The Idempotency-Key was already used with a different request. Use a new key for a new request.');
    }
    if (existing.value.state !== 'completed' || existing.value.status === null) {
      throw new ServiceError('Conflict', 'A request with this Idempotency-Key is still being processed. Retry later.');
    }
    return { status: existing.value.status, body: existing.value.body ?? undefined, replayed: true };
  }
  let outcome: IdempotentOutcome;
  try {
    outcome = await execute();
  } catch (error) {
    await repository.delete(request.tenantId, keyHash);
    throw error;
  }
  await repository.replace(request.tenantId, keyHash, { ...claim.value, state: 'completed', status: outcome.status, body: outcome.body ?? null }, claim.etag);
  return outcome;
}
