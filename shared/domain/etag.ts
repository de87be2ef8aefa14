/**
 * Does an If-Match / If-None-Match list (`"a", W/"b"` or `*`) name `etag`? Strong comparison needs
 * both tags strong and equal; weak comparison ignores the `W/` prefix on either side (RFC 9110 8.8.3).
 */
export function etagListMatches(header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => {
      if (tag === '*') return true;
      if (comparison === 'weak') return opaque(tag) === opaque(etag);
      return !tag.startsWith('W/') && tag === etag;
    });
}
