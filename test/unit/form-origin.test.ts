import { describe, expect, it } from 'vitest';
import { isOwnFormSubmission } from '../../shared/dev/form-origin.js';

const OWN = ['http://127.0.0.1:7071'];
const headers = (values: Record<string, string>) => new Headers(values);

describe('isOwnFormSubmission (CSRF check of the development pages)', () => {
  it('accepts a browser post from our own no-referrer page: Origin null, Sec-Fetch-Site same-origin', () => {
    expect(isOwnFormSubmission(headers({ origin: 'null', 'sec-fetch-site': 'same-origin' }), OWN)).toBe(true);
  });

  it('refuses Origin null from anywhere else (sandboxed or cross-site), and without Sec-Fetch-Site', () => {
    expect(isOwnFormSubmission(headers({ origin: 'null', 'sec-fetch-site': 'cross-site' }), OWN)).toBe(false);
    expect(isOwnFormSubmission(headers({ origin: 'null', 'sec-fetch-site': 'same-site' }), OWN)).toBe(false);
    expect(isOwnFormSubmission(headers({ origin: 'null' }), OWN)).toBe(false);
  });

  it('keeps the other rules: own origin yes, other origin no, no headers (a script) yes', () => {
    expect(isOwnFormSubmission(headers({ origin: OWN[0] ?? '', 'sec-fetch-site': 'same-origin' }), OWN)).toBe(true);
    expect(isOwnFormSubmission(headers({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), OWN)).toBe(false);
    expect(isOwnFormSubmission(headers({ origin: 'https://evil.example' }), OWN)).toBe(false);
    expect(isOwnFormSubmission(headers({}), OWN)).toBe(true);
  });
});
