/**
 * CSRF protection of the development-mode HTML forms (consent, sign-in, MFA, device code): a
 * submission must come from our own pages. A browser says where a form post comes from
 * (`Sec-Fetch-Site`, `Origin`); a script driving the pages over HTTP sends neither and is accepted,
 * which is what the demo and the tests do.
 */
export function isOwnFormSubmission(headers: { get(name: string): string | null }, ownOrigins: readonly string[]): boolean {
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return false;
  const origin = headers.get('origin');
  // Our pages are sent with `Referrer-Policy: no-referrer`, so a browser posts their forms with
  // `Origin: null` (Fetch: the serialized origin of a no-referrer request); Sec-Fetch-Site then
  // tells a same-origin post from a sandboxed or cross-site one.
  if (origin === 'null') return site === 'same-origin';
  return origin === null || ownOrigins.includes(origin);
}
