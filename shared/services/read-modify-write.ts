import { isServiceError, type ServiceError } from '../domain/errors.js';

/** How many times a read-modify-write tries in all before it gives up on a busy row. */
export const READ_MODIFY_WRITE_ATTEMPTS = 6;

export interface ReadModifyWriteOptions {
  /** Tries in all (default READ_MODIFY_WRITE_ATTEMPTS); 1 = no retry. */
  attempts?: number;
  /** A create that lost to another create (Conflict) is a lost race too. */
  retryConflicts?: boolean;
  /** What to throw when the last try lost its race too (default: that race's own error). */
  whenLost?: () => ServiceError;
}

/**
 * The one optimistic-concurrency loop: `attempt` reads a row, decides and writes it conditioned on the
 * ETag it read. A write that lost a race (412 PreconditionFailed, or 409 Conflict on create with
 * `retryConflicts`) is retried on a fresh read; any other error, and the last lost race, is thrown.
 */
export async function readModifyWrite<T>(attempt: (tryNumber: number) => Promise<T>, options: ReadModifyWriteOptions = {}): Promise<T> {
  const attempts = options.attempts ?? READ_MODIFY_WRITE_ATTEMPTS;
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      const raced = isServiceError(error, 'PreconditionFailed') || (options.retryConflicts === true && isServiceError(error, 'Conflict'));
      if (!raced) throw error;
      if (tryNumber >= attempts) throw options.whenLost?.() ?? error;
    }
  }
}
