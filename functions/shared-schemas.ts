import { z } from 'zod';
import { CHARACTER_USAGES, PIN_LENGTH_LOWER_BOUND, PIN_LENGTH_UPPER_BOUND } from '../shared/domain/pin-policy.js';

/** Schemas more than one resource area uses (request validation and OpenAPI alike). */

const characterUsage = z.enum(CHARACTER_USAGES);
const pinLength = z.number().int().min(PIN_LENGTH_LOWER_BOUND).max(PIN_LENGTH_UPPER_BOUND);

/** PassportForWork PIN complexity, as settings store it and as a passcode action carries it. */
export const pinComplexitySchema = z.strictObject({
  pinMinimumLength: pinLength,
  pinMaximumLength: pinLength,
  pinUppercaseCharactersUsage: characterUsage,
  pinLowercaseCharactersUsage: characterUsage,
  pinSpecialCharactersUsage: characterUsage,
  pinDigitsUsage: characterUsage,
}).meta({ id: 'pinComplexity' });
