/**
 * Windows Hello for Business PIN complexity (PassportForWork CSP `Policies/PINComplexity/*`, the Intune
 * "Windows Hello for Business" settings): the tenant-level shape, its validation, and a model of the
 * check a Windows device applies to a PIN, with the reason codes the device reports.
 *
 * Pure domain code: no SDK, no I/O. Nothing here ever puts a PIN into a message or error.
 */

/** CSP values: `allowed` = 0, `required` = 1 (at least one), `disallowed` = 2. */
export const CHARACTER_USAGES = ['allowed', 'required', 'disallowed'] as const;
export type CharacterUsage = (typeof CHARACTER_USAGES)[number];

/** The tenant's PIN complexity, field names as in `pinResetSettings.pinComplexity` (docs/api.md). */
export interface PinComplexity {
  pinMinimumLength: number;
  pinMaximumLength: number;
  pinUppercaseCharactersUsage: CharacterUsage;
  pinLowercaseCharactersUsage: CharacterUsage;
  pinSpecialCharactersUsage: CharacterUsage;
  pinDigitsUsage: CharacterUsage;
}

/** Bounds of the CSP's MinimumPINLength / MaximumPINLength. */
export const PIN_LENGTH_LOWER_BOUND = 4;
export const PIN_LENGTH_UPPER_BOUND = 127;

/** Length of generated passcodes before the policy's bounds are applied. */
export const PREFERRED_PASSCODE_LENGTH = 8;

/** Unconfigured CSP behaviour (current docs): 6..127, digits required, everything else disallowed. */
export const DEFAULT_PIN_COMPLEXITY: Readonly<PinComplexity> = Object.freeze({
  pinMinimumLength: 6,
  pinMaximumLength: 127,
  pinUppercaseCharactersUsage: 'disallowed',
  pinLowercaseCharactersUsage: 'disallowed',
  pinSpecialCharactersUsage: 'disallowed',
  pinDigitsUsage: 'required',
});

export type CharacterClass = 'digits' | 'uppercase' | 'lowercase' | 'special';

/** Fixed order used everywhere (alphabet layout, messages). */
export const CHARACTER_CLASSES: readonly CharacterClass[] = ['digits', 'uppercase', 'lowercase', 'special'];

export const DIGITS = '0123456789';
export const UPPERCASE_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWERCASE_LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** The CSP's special characters, exactly: ASCII 0x21-0x2F, 0x3A-0x40, 0x5B-0x60, 0x7B-0x7E (no space). */
export const SPECIAL_CHARACTERS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const CHARACTER_CLASS_ALPHABETS: Readonly<Record<CharacterClass, string>> = Object.freeze({
  digits: DIGITS,
  uppercase: UPPERCASE_LETTERS,
  lowercase: LOWERCASE_LETTERS,
  special: SPECIAL_CHARACTERS,
});

type UsageField = 'pinDigitsUsage' | 'pinUppercaseCharactersUsage' | 'pinLowercaseCharactersUsage' | 'pinSpecialCharactersUsage';

/** Which `PinComplexity` field governs each class. */
export const USAGE_FIELDS: Readonly<Record<CharacterClass, UsageField>> = Object.freeze({
  digits: 'pinDigitsUsage',
  uppercase: 'pinUppercaseCharactersUsage',
  lowercase: 'pinLowercaseCharactersUsage',
  special: 'pinSpecialCharactersUsage',
});

const CLASS_NAMES: Readonly<Record<CharacterClass, string>> = {
  digits: 'digits',
  uppercase: 'uppercase letters',
  lowercase: 'lowercase letters',
  special: 'special characters',
};

export function usageOf(complexity: PinComplexity, characterClass: CharacterClass): CharacterUsage {
  return complexity[USAGE_FIELDS[characterClass]];
}

/** The class a character belongs to, or undefined for anything outside the four alphabets. */
export function classOfCharacter(character: string): CharacterClass | undefined {
  if (character.length !== 1) return undefined;
  const code = character.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return 'digits';
  if (code >= 0x41 && code <= 0x5a) return 'uppercase';
  if (code >= 0x61 && code <= 0x7a) return 'lowercase';
  if (code >= 0x21 && code <= 0x7e) return 'special'; // the remaining printable ASCII, space excluded
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Validation

export interface PolicyViolation {
  /** Dotted path as the settings body names it, e.g. `pinComplexity.pinMinimumLength`. */
  field: string;
  message: string;
}

const FIELD_PREFIX = 'pinComplexity';

function isLength(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= PIN_LENGTH_LOWER_BOUND && value <= PIN_LENGTH_UPPER_BOUND;
}

function isUsage(value: unknown): value is CharacterUsage {
  return typeof value === 'string' && (CHARACTER_USAGES as readonly string[]).includes(value);
}

/**
 * Every rule the settings PATCH enforces: integer lengths with 4 ≤ min ≤ max ≤ 127, each usage one of
 * `allowed|required|disallowed`, and at least one class not disallowed. Checks runtime types too, since
 * the value may come straight from JSON. An empty array means valid.
 */
export function validatePinComplexity(complexity: PinComplexity): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const lengthMessage = `must be an integer from ${PIN_LENGTH_LOWER_BOUND} to ${PIN_LENGTH_UPPER_BOUND}.`;
  const { pinMinimumLength: min, pinMaximumLength: max } = complexity;

  if (!isLength(min)) violations.push({ field: `${FIELD_PREFIX}.pinMinimumLength`, message: `pinMinimumLength ${lengthMessage}` });
  if (!isLength(max)) violations.push({ field: `${FIELD_PREFIX}.pinMaximumLength`, message: `pinMaximumLength ${lengthMessage}` });
  if (isLength(min) && isLength(max) && min > max) {
    violations.push({
      field: `${FIELD_PREFIX}.pinMinimumLength`,
      message: `pinMinimumLength (${min}) must not be greater than pinMaximumLength (${max}).`,
    });
  }

  let allUsagesValid = true;
  for (const characterClass of CHARACTER_CLASSES) {
    const field = USAGE_FIELDS[characterClass];
    if (!isUsage(complexity[field])) {
      allUsagesValid = false;
      violations.push({
        field: `${FIELD_PREFIX}.${field}`,
        message: `${field} must be one of ${CHARACTER_USAGES.map((u) => `'${u}'`).join(', ')}.`,
      });
    }
  }
  if (allUsagesValid && CHARACTER_CLASSES.every((c) => usageOf(complexity, c) === 'disallowed')) {
    violations.push({
      field: FIELD_PREFIX,
      message:
        'At least one character class (pinDigitsUsage, pinUppercaseCharactersUsage, pinLowercaseCharactersUsage, ' +
        "pinSpecialCharactersUsage) must be 'allowed' or 'required'.",
    });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Effective complexity

/**
 * The CSP says: "If all character sets are allowed but none are explicitly required, then the default
 * PIN complexity behavior will apply."
 *
 * Interpretation: the rule is about the character sets only. When all four usages are `allowed`, the
 * usages fall back to the CSP defaults (digits required, uppercase/lowercase/special disallowed); the
 * configured lengths stay. Any other combination (e.g. some allowed and some disallowed, none
 * required) is taken as configured. This is also the safe reading for generation: a digits-only
 * passcode satisfies a device that applies the rule and a device that takes "all allowed" literally.
 */
export function effectiveComplexity(complexity: PinComplexity): PinComplexity {
  if (CHARACTER_CLASSES.every((c) => usageOf(complexity, c) === 'allowed')) {
    return {
      ...complexity,
      pinUppercaseCharactersUsage: DEFAULT_PIN_COMPLEXITY.pinUppercaseCharactersUsage,
      pinLowercaseCharactersUsage: DEFAULT_PIN_COMPLEXITY.pinLowercaseCharactersUsage,
      pinSpecialCharactersUsage: DEFAULT_PIN_COMPLEXITY.pinSpecialCharactersUsage,
      pinDigitsUsage: DEFAULT_PIN_COMPLEXITY.pinDigitsUsage,
    };
  }
  return { ...complexity };
}

/** Length of a generated passcode: max(min, 8), capped at max. Assumes a valid policy. */
export function passcodeLengthFor(complexity: PinComplexity): number {
  return Math.min(Math.max(complexity.pinMinimumLength, PREFERRED_PASSCODE_LENGTH), complexity.pinMaximumLength);
}

// ---------------------------------------------------------------------------------------------------
// The device-side check

/** The reason codes a Windows device reports when it refuses a PIN (closed set). */
export const PIN_FAILURE_CODES = [
  'InvalidPinTooFewCharacters',
  'InvalidPinTooManyCharacters',
  'InvalidPinMissingRequiredCharacters',
  'InvalidPinDisallowedCharacters',
  'InvalidPinConstantStep',
  'InvalidPinUnknownCharacters',
] as const;

export type PinFailureCode = (typeof PIN_FAILURE_CODES)[number];

export function isPinFailureCode(value: unknown): value is PinFailureCode {
  return typeof value === 'string' && (PIN_FAILURE_CODES as readonly string[]).includes(value);
}

export interface PinCheckFailure {
  code: PinFailureCode;
  /** For missing-required and disallowed failures: the class concerned. */
  characterClass?: CharacterClass;
  /** Human-readable reason; never contains the PIN or any of its characters. */
  message: string;
}

/**
 * True when the string is all digits (at least two) and every digit differs from the previous one by
 * the same amount: 1111, 1234, 1357, 9630. Windows refuses these. With `wrapAround`, steps are taken
 * modulo 10 as well (7890, 8901, 2109), a stricter reading the passcode generator also avoids.
 */
export function isConstantStepDigits(pin: string, options: { wrapAround?: boolean } = {}): boolean {
  if (pin.length < 2 || !/^[0-9]+$/.test(pin)) return false;
  const step = (i: number): number => {
    const d = pin.charCodeAt(i + 1) - pin.charCodeAt(i);
    return options.wrapAround ? (d + 10) % 10 : d;
  };
  const first = step(0);
  for (let i = 1; i < pin.length - 1; i++) {
    if (step(i) !== first) return false;
  }
  return true;
}

/**
 * What a Windows device would say about `pin` under `complexity` (after `effectiveComplexity`), or
 * undefined when it accepts it. Length counts Unicode code points. Order of checks: length, unknown
 * characters, disallowed classes, missing required classes, constant step (all-digit PINs only).
 * Assumes a valid policy (see validatePinComplexity).
 */
export function checkPin(pin: string, complexity: PinComplexity): PinCheckFailure | undefined {
  const policy = effectiveComplexity(complexity);
  const characters = Array.from(pin);

  if (characters.length < policy.pinMinimumLength) {
    return {
      code: 'InvalidPinTooFewCharacters',
      message: `The PIN has fewer than the minimum of ${policy.pinMinimumLength} characters.`,
    };
  }
  if (characters.length > policy.pinMaximumLength) {
    return {
      code: 'InvalidPinTooManyCharacters',
      message: `The PIN has more than the maximum of ${policy.pinMaximumLength} characters.`,
    };
  }

  const present = new Set<CharacterClass>();
  for (const character of characters) {
    const characterClass = classOfCharacter(character);
    if (characterClass === undefined) {
      return {
        code: 'InvalidPinUnknownCharacters',
        message: 'The PIN contains a character outside digits, ASCII letters and the allowed special characters.',
      };
    }
    present.add(characterClass);
  }

  for (const characterClass of CHARACTER_CLASSES) {
    if (present.has(characterClass) && usageOf(policy, characterClass) === 'disallowed') {
      return {
        code: 'InvalidPinDisallowedCharacters',
        characterClass,
        message: `The PIN contains ${CLASS_NAMES[characterClass]}, which the policy disallows.`,
      };
    }
  }
  for (const characterClass of CHARACTER_CLASSES) {
    if (!present.has(characterClass) && usageOf(policy, characterClass) === 'required') {
      return {
        code: 'InvalidPinMissingRequiredCharacters',
        characterClass,
        message: `The PIN must contain at least one of the ${CLASS_NAMES[characterClass]}.`,
      };
    }
  }

  if (isConstantStepDigits(pin)) {
    return {
      code: 'InvalidPinConstantStep',
      message: 'The PIN is a run of digits that steps by a constant amount (such as 1111 or 1234).',
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Admin-facing explanations

function fieldsWhere(complexity: PinComplexity, predicate: (usage: CharacterUsage) => boolean): string[] {
  return CHARACTER_CLASSES.filter((c) => predicate(usageOf(complexity, c))).map((c) => USAGE_FIELDS[c]);
}

function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

const RESET_AGAIN = 'then request a new passcode reset.';

/**
 * What the admin should change after a device refused a passcode generated for `complexity` (the
 * tenant's settings at generation time). Used for `errorDescription` of a failed passcode action.
 */
export function describePinFailure(code: PinFailureCode, complexity: PinComplexity): string {
  const policy = effectiveComplexity(complexity);
  const length = passcodeLengthFor(policy);
  switch (code) {
    case 'InvalidPinTooFewCharacters':
      return (
        `The device's PIN policy is stricter than this tenant's settings — align pinMinimumLength ` +
        `(currently ${policy.pinMinimumLength}) with the minimum PIN length the device enforces ` +
        `(Windows Hello for Business MinimumPINLength): the passcode had ${length} characters and the ` +
        `device requires more. Raise pinMinimumLength in pinResetSettings.pinComplexity, ${RESET_AGAIN}`
      );
    case 'InvalidPinTooManyCharacters':
      return (
        `The device's PIN policy is stricter than this tenant's settings — align pinMaximumLength ` +
        `(currently ${policy.pinMaximumLength}) with the maximum PIN length the device enforces ` +
        `(Windows Hello for Business MaximumPINLength): the passcode had ${length} characters and the ` +
        `device allows fewer. Lower pinMaximumLength in pinResetSettings.pinComplexity, ${RESET_AGAIN}`
      );
    case 'InvalidPinMissingRequiredCharacters': {
      const notRequired = fieldsWhere(policy, (u) => u !== 'required');
      if (notRequired.length === 0) {
        return (
          'The device reported a missing required character class although every class is already required ' +
          "by this tenant's settings; compare the device's Windows Hello for Business PIN complexity policy " +
          `with pinResetSettings.pinComplexity, ${RESET_AGAIN}`
        );
      }
      return (
        `The device requires a character class that this tenant's settings do not require. Set ` +
        `${listOr(notRequired)} to 'required' in pinResetSettings.pinComplexity to match the device's ` +
        `Windows Hello for Business PIN complexity policy, ${RESET_AGAIN}`
      );
    }
    case 'InvalidPinDisallowedCharacters': {
      const permitted = fieldsWhere(policy, (u) => u !== 'disallowed');
      return (
        `The device disallows a character class that this tenant's settings permit. Align ` +
        `${listOr(permitted)} in pinResetSettings.pinComplexity with the device's Windows Hello for ` +
        `Business PIN complexity policy (set the class the device disallows to 'disallowed'), ${RESET_AGAIN}`
      );
    }
    case 'InvalidPinConstantStep':
      return (
        'The device refused the passcode as a constant-step digit sequence (such as 1111 or 1234). ' +
        'Generated passcodes avoid these, so no setting needs to change; request a new passcode reset, ' +
        "and if it happens again, compare the device's PIN complexity policy with pinResetSettings.pinComplexity."
      );
    case 'InvalidPinUnknownCharacters':
      return (
        'The device refused a character of the passcode as unknown. Passcodes use only digits, ASCII ' +
        'letters and the Windows Hello special characters; if the device does not accept special characters, set ' +
        `pinSpecialCharactersUsage to 'disallowed' in pinResetSettings.pinComplexity, ${RESET_AGAIN}`
      );
  }
}
