/**
 * Which characters client-supplied strings may hold. C0 and C1 controls (DEL included), the line and
 * paragraph separators U+2028/U+2029 and the non-characters U+FFFE/U+FFFF are refused, and so are lone
 * UTF-16 surrogates: storage may reject any of them (Azurite's batch path does, the SDK's
 * encodeURIComponent throws on a lone surrogate), and an input error must be a 400, never a 5xx.
 */
export const FORBIDDEN_TEXT_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/u;

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Well-formed UTF-16: every surrogate is half of a pair (what encodeURIComponent and UTF-8 need). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}
