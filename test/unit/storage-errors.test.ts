import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/domain/errors.js';
import { translateStorageError } from '../../shared/storage/storage-errors.js';

function translated(error: unknown): unknown {
  try {
    translateStorageError(error);
  } catch (thrown) {
    return thrown;
  }
  throw new Error('translateStorageError must throw');
}

describe('storage error translation', () => {
  it('maps 409, 412 and 404 to the domain codes', () => {
    expect(isServiceError(translated({ name: 'RestError', statusCode: 409 }), 'Conflict')).toBe(true);
    expect(isServiceError(translated({ name: 'RestError', statusCode: 412 }), 'PreconditionFailed')).toBe(true);
    expect(isServiceError(translated({ name: 'RestError', statusCode: 404 }), 'Request_ResourceNotFound')).toBe(true);
  });

  it('reports storage that is down, unreachable or refusing our identity as 503 with Retry-After', () => {
    for (const error of [
      { name: 'RestError', statusCode: 503 },
      { name: 'RestError', code: 'ECONNREFUSED' },
      { name: 'Error', code: 'ETIMEDOUT' },
      { name: 'CredentialUnavailableError' },
    ]) {
      const result = translated(error);
      expect(isServiceError(result, 'ServiceUnavailable')).toBe(true);
      expect((result as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it('rethrows our own bugs and 400s unchanged, so they become a logged 500 rather than a misleading 503', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(translated(bug)).toBe(bug);
    const badEntity = { name: 'RestError', statusCode: 400 };
    expect(translated(badEntity)).toBe(badEntity);
  });
});
