import { z } from 'zod';
import { FORBIDDEN_TEXT_CHARACTERS, isWellFormedText } from '../domain/text.js';

/**
 * A trimmed, non-empty display string of at most `max` characters that a device or user supplies;
 * the characters domain/text.ts refuses are a 400 naming the field.
 */
export function safeText(max: number) {
  return z
    .string()
    .refine(isWellFormedText, 'must be well-formed UTF-16 (no lone surrogates)')
    .refine((value) => !FORBIDDEN_TEXT_CHARACTERS.test(value), 'must not contain control characters, U+2028, U+2029, U+FFFE or U+FFFF')
    .trim()
    .min(1)
    .max(max);
}
