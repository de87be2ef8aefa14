import { describe, expect, it } from 'vitest';
import { etagListMatches } from '../../shared/domain/etag.js';

describe('ETag list matching', () => {
  it('matches a listed or * tag, comparing If-Match strongly and If-None-Match weakly', () => {
    expect(etagListMatches('"a", "b"', '"b"', 'strong')).toBe(true);
    expect(etagListMatches('*', '"b"', 'strong')).toBe(true);
    expect(etagListMatches('W/"b"', '"b"', 'strong')).toBe(false);
    expect(etagListMatches('W/"b"', '"b"', 'weak')).toBe(true);
    expect(etagListMatches('"c"', '"b"', 'weak')).toBe(false);
    expect(etagListMatches('W/"t1"', 'W/"t1"', 'weak')).toBe(true);
    expect(etagListMatches('W/"t1"', 'W/"t1"', 'strong')).toBe(false);
    expect(etagListMatches('', '"b"', 'weak')).toBe(false);
  });
});
