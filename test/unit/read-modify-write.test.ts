import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../shared/domain/errors.js';
import { readModifyWrite } from '../../shared/services/read-modify-write.js';

const lost = () => new ServiceError('PreconditionFailed', 'ETag mismatch');

describe('readModifyWrite', () => {
  it('retries a write that lost its race on a fresh read, then answers what the winning try returned', async () => {
    const tries: number[] = [];
    const result = await readModifyWrite(async (tryNumber) => {
      tries.push(tryNumber);
      if (tryNumber < 3) throw lost();
      return 'saved';
    });
    expect(result).toBe('saved');
    expect(tries).toEqual([1, 2, 3]);
  });

  it('throws the last lost race, or the whenLost error, after the given number of tries', async () => {
    let tries = 0;
    await expect(
      readModifyWrite(
        async () => {
          tries += 1;
          throw lost();
        },
        { attempts: 4 },
      ),
    ).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect(tries).toBe(4);
    await expect(
      readModifyWrite(
        async () => {
          throw lost();
        },
        { attempts: 2, whenLost: () => new ServiceError('Conflict', 'busy') },
      ),
    ).rejects.toMatchObject({ code: 'Conflict', message: 'busy' });
  });

  it('retries a Conflict only when asked, and never any other error', async () => {
    let tries = 0;
    const conflict = async () => {
      tries += 1;
      throw new ServiceError('Conflict', 'created concurrently');
    };
    await expect(readModifyWrite(conflict)).rejects.toMatchObject({ code: 'Conflict' });
    expect(tries).toBe(1);
    await expect(readModifyWrite(conflict, { retryConflicts: true, attempts: 3 })).rejects.toMatchObject({ code: 'Conflict' });
    expect(tries).toBe(4);
    let other = 0;
    await expect(
      readModifyWrite(async () => {
        other += 1;
        throw new ServiceError('BadRequest', 'no');
      }),
    ).rejects.toMatchObject({ code: 'BadRequest' });
    expect(other).toBe(1);
  });
});
