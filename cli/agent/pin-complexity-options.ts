import {
  CHARACTER_CLASSES,
  CHARACTER_USAGES,
  PIN_LENGTH_LOWER_BOUND,
  PIN_LENGTH_UPPER_BOUND,
  USAGE_FIELDS,
  type PinComplexity,
} from '../../shared/domain/pin-policy.js';
import { choiceOption, integerOption, type OptionDefs, type OptionValues } from './args.js';

const LENGTHS = `${PIN_LENGTH_LOWER_BOUND}..${PIN_LENGTH_UPPER_BOUND}`;
const USAGES = CHARACTER_USAGES.join(' | ');

/** Options naming pinComplexity fields; the device's local policy and `admin settings` share them. */
export const PIN_COMPLEXITY_OPTIONS: OptionDefs = {
  'min-length': { type: 'string', valueName: '<n>', description: `Minimum PIN length, ${LENGTHS} (pinMinimumLength).` },
  'max-length': { type: 'string', valueName: '<n>', description: `Maximum PIN length, ${LENGTHS} (pinMaximumLength).` },
  digits: { type: 'string', valueName: '<usage>', description: `Digits: ${USAGES} (pinDigitsUsage).` },
  uppercase: { type: 'string', valueName: '<usage>', description: `Uppercase letters: ${USAGES} (pinUppercaseCharactersUsage).` },
  lowercase: { type: 'string', valueName: '<usage>', description: `Lowercase letters: ${USAGES} (pinLowercaseCharactersUsage).` },
  special: { type: 'string', valueName: '<usage>', description: `Special characters: ${USAGES} (pinSpecialCharactersUsage).` },
};

/**
 * The pinComplexity fields that the options give (the others are absent). `lengths` bounds
 * --min-length/--max-length; without it the caller leaves range checks to whoever validates the result.
 */
export function pinComplexityFromOptions(values: OptionValues, lengths: { min?: number; max?: number } = {}): Partial<PinComplexity> {
  const complexity: Partial<PinComplexity> = {};
  const min = integerOption(values, 'min-length', lengths);
  const max = integerOption(values, 'max-length', lengths);
  if (min !== undefined) complexity.pinMinimumLength = min;
  if (max !== undefined) complexity.pinMaximumLength = max;
  for (const characterClass of CHARACTER_CLASSES) {
    const usage = choiceOption(values, characterClass, CHARACTER_USAGES);
    if (usage) complexity[USAGE_FIELDS[characterClass]] = usage;
  }
  return complexity;
}
