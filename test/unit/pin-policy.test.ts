import { describe, it, expect } from 'vitest';
import {
  CHARACTER_CLASS_ALPHABETS,
  DEFAULT_PIN_COMPLEXITY,
  PIN_FAILURE_CODES,
  SPECIAL_CHARACTERS,
  checkPin,
  classOfCharacter,
  describePinFailure,
  effectiveComplexity,
  isConstantStepDigits,
  isPinFailureCode,
  passcodeLengthFor,
  validatePinComplexity,
} from '../../shared/domain/pin-policy.js';
import type { PinComplexity, PinFailureCode } from '../../shared/domain/pin-policy.js';

const policy = (overrides: Partial<PinComplexity> = {}): PinComplexity => ({ ...DEFAULT_PIN_COMPLEXITY, ...overrides });

const allAllowed = policy({
  pinUppercaseCharactersUsage: 'allowed',
  pinLowercaseCharactersUsage: 'allowed',
  pinSpecialCharactersUsage: 'allowed',
  pinDigitsUsage: 'allowed',
});

const fields = (c: PinComplexity) => validatePinComplexity(c).map((v) => v.field);

describe('the PIN complexity defaults and alphabets', () => {
  it('defaults to 6 to 127 characters with digits required and every other class disallowed', () => {
    expect(DEFAULT_PIN_COMPLEXITY).toEqual({
      pinMinimumLength: 6,
      pinMaximumLength: 127,
      pinUppercaseCharactersUsage: 'disallowed',
      pinLowercaseCharactersUsage: 'disallowed',
      pinSpecialCharactersUsage: 'disallowed',
      pinDigitsUsage: 'required',
    });
    expect(validatePinComplexity(DEFAULT_PIN_COMPLEXITY)).toEqual([]);
  });

  it('uses exactly the special characters of the CSP, without space', () => {
    expect(SPECIAL_CHARACTERS).toBe('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
    expect(SPECIAL_CHARACTERS).toHaveLength(32);
    expect(SPECIAL_CHARACTERS).not.toContain(' ');
  });

  it('covers the 94 printable ASCII characters with four disjoint classes', () => {
    const all = Object.values(CHARACTER_CLASS_ALPHABETS).join('');
    expect(new Set(all).size).toBe(94);
    for (let code = 0x21; code <= 0x7e; code++) expect(all).toContain(String.fromCharCode(code));
    for (const [cls, alphabet] of Object.entries(CHARACTER_CLASS_ALPHABETS)) {
      for (const ch of alphabet) expect(classOfCharacter(ch)).toBe(cls);
    }
    expect(classOfCharacter(' ')).toBeUndefined();
    expect(classOfCharacter('é')).toBeUndefined();
    expect(classOfCharacter('\t')).toBeUndefined();
  });
});

describe('validating a PIN complexity', () => {
  it('accepts the bounds 4 and 127 and equal minimum and maximum', () => {
    expect(validatePinComplexity(policy({ pinMinimumLength: 4, pinMaximumLength: 127 }))).toEqual([]);
    expect(validatePinComplexity(policy({ pinMinimumLength: 4, pinMaximumLength: 4 }))).toEqual([]);
    expect(validatePinComplexity(policy({ pinMinimumLength: 127, pinMaximumLength: 127 }))).toEqual([]);
  });

  it('refuses a minimum length below 4 naming pinMinimumLength', () => {
    const violations = validatePinComplexity(policy({ pinMinimumLength: 3 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]?.field).toBe('pinComplexity.pinMinimumLength');
    expect(violations[0]?.message).toMatch(/4 to 127/);
  });

  it('refuses a maximum length above 127 naming pinMaximumLength', () => {
    expect(fields(policy({ pinMaximumLength: 128 }))).toEqual(['pinComplexity.pinMaximumLength']);
  });

  it('refuses a maximum length below 4 naming pinMaximumLength', () => {
    expect(fields(policy({ pinMinimumLength: 4, pinMaximumLength: 3 }))).toEqual(['pinComplexity.pinMaximumLength']);
  });

  it('refuses a minimum above 127 naming pinMinimumLength', () => {
    expect(fields(policy({ pinMinimumLength: 128 }))).toEqual(['pinComplexity.pinMinimumLength']);
  });

  it('refuses a minimum greater than the maximum naming pinMinimumLength', () => {
    const violations = validatePinComplexity(policy({ pinMinimumLength: 10, pinMaximumLength: 9 }));
    expect(violations.map((v) => v.field)).toEqual(['pinComplexity.pinMinimumLength']);
    expect(violations[0]?.message).toContain('pinMaximumLength');
  });

  it('refuses non-integer and non-numeric lengths', () => {
    expect(fields(policy({ pinMinimumLength: 6.5 }))).toEqual(['pinComplexity.pinMinimumLength']);
    expect(fields(policy({ pinMaximumLength: Number.NaN }))).toEqual(['pinComplexity.pinMaximumLength']);
    expect(fields(policy({ pinMinimumLength: '6' as unknown as number }))).toEqual(['pinComplexity.pinMinimumLength']);
    expect(fields(policy({ pinMaximumLength: Number.POSITIVE_INFINITY }))).toEqual(['pinComplexity.pinMaximumLength']);
  });

  it('refuses an unknown usage value naming that usage field', () => {
    for (const field of ['pinUppercaseCharactersUsage', 'pinLowercaseCharactersUsage', 'pinSpecialCharactersUsage', 'pinDigitsUsage'] as const) {
      const violations = validatePinComplexity({ ...DEFAULT_PIN_COMPLEXITY, [field]: 'sometimes' } as unknown as PinComplexity);
      expect(violations.map((v) => v.field)).toEqual([`pinComplexity.${field}`]);
      expect(violations[0]?.message).toMatch(/'allowed', 'required', 'disallowed'/);
    }
    expect(fields({ ...DEFAULT_PIN_COMPLEXITY, pinDigitsUsage: 1 } as unknown as PinComplexity)).toEqual(['pinComplexity.pinDigitsUsage']);
  });

  it('refuses a policy where every character class is disallowed', () => {
    const violations = validatePinComplexity(policy({ pinDigitsUsage: 'disallowed' }));
    expect(violations.map((v) => v.field)).toEqual(['pinComplexity']);
    expect(violations[0]?.message).toMatch(/at least one character class/i);
  });

  it('reports every violation at once', () => {
    const bad = {
      pinMinimumLength: 2,
      pinMaximumLength: 200,
      pinUppercaseCharactersUsage: 'x',
      pinLowercaseCharactersUsage: 'disallowed',
      pinSpecialCharactersUsage: 'disallowed',
      pinDigitsUsage: 'disallowed',
    };
    expect(fields(bad as unknown as PinComplexity)).toEqual([
      'pinComplexity.pinMinimumLength',
      'pinComplexity.pinMaximumLength',
      'pinComplexity.pinUppercaseCharactersUsage',
    ]);
  });
});

describe('the default complexity rule', () => {
  it('applies the default character rules when every class is allowed and none required', () => {
    expect(effectiveComplexity(allAllowed)).toEqual({ ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 6, pinMaximumLength: 127 });
  });

  it('keeps the configured lengths when the default character rules apply', () => {
    const effective = effectiveComplexity({ ...allAllowed, pinMinimumLength: 9, pinMaximumLength: 20 });
    expect(effective.pinMinimumLength).toBe(9);
    expect(effective.pinMaximumLength).toBe(20);
    expect(effective.pinDigitsUsage).toBe('required');
  });

  it('leaves a policy with some class disallowed or required unchanged', () => {
    const someDisallowed = { ...allAllowed, pinSpecialCharactersUsage: 'disallowed' as const };
    expect(effectiveComplexity(someDisallowed)).toEqual(someDisallowed);
    const oneRequired = { ...allAllowed, pinLowercaseCharactersUsage: 'required' as const };
    expect(effectiveComplexity(oneRequired)).toEqual(oneRequired);
  });

  it('makes the device check refuse letters when every class is merely allowed', () => {
    expect(checkPin('abc12345', allAllowed)?.code).toBe('InvalidPinDisallowedCharacters');
    expect(checkPin('48213957', allAllowed)).toBeUndefined();
  });
});

describe('the constant-step rule', () => {
  it.each(['1111', '1234', '1357', '9630', '0000000', '876543', '02468'])('refuses %s', (pin) => {
    expect(isConstantStepDigits(pin)).toBe(true);
    expect(checkPin(pin, policy({ pinMinimumLength: 4 }))?.code).toBe('InvalidPinConstantStep');
  });

  it.each(['1431', '1113', '1235', '8901', '24681'])('accepts %s', (pin) => {
    expect(checkPin(pin, policy({ pinMinimumLength: 4 }))).toBeUndefined();
  });

  it('applies only to PINs made entirely of digits', () => {
    const mixed = policy({ pinMinimumLength: 4, pinUppercaseCharactersUsage: 'allowed' });
    expect(checkPin('1234A', mixed)).toBeUndefined();
    expect(isConstantStepDigits('aaaa')).toBe(false);
  });

  it('also recognises wrap-around steps when asked to', () => {
    expect(isConstantStepDigits('7890')).toBe(false);
    expect(isConstantStepDigits('7890', { wrapAround: true })).toBe(true);
    expect(isConstantStepDigits('2109', { wrapAround: true })).toBe(true);
    expect(isConstantStepDigits('1431', { wrapAround: true })).toBe(false);
  });
});

describe('the device check of a PIN', () => {
  const mixed = policy({
    pinMinimumLength: 6,
    pinMaximumLength: 10,
    pinUppercaseCharactersUsage: 'required',
    pinLowercaseCharactersUsage: 'allowed',
    pinSpecialCharactersUsage: 'disallowed',
    pinDigitsUsage: 'required',
  });

  it('accepts a compliant PIN', () => {
    expect(checkPin('Ab3d5f', mixed)).toBeUndefined();
  });

  it('reports InvalidPinTooFewCharacters below the minimum, as in the field case with minimum 7', () => {
    expect(checkPin('482193', policy({ pinMinimumLength: 7 }))).toMatchObject({ code: 'InvalidPinTooFewCharacters' });
  });

  it('reports InvalidPinTooManyCharacters above the maximum', () => {
    expect(checkPin('Ab3d5fghijk', mixed)?.code).toBe('InvalidPinTooManyCharacters');
  });

  it('reports InvalidPinMissingRequiredCharacters naming the missing class', () => {
    expect(checkPin('abcdef1', mixed)).toMatchObject({ code: 'InvalidPinMissingRequiredCharacters', characterClass: 'uppercase' });
    expect(checkPin('Abcdefg', mixed)).toMatchObject({ code: 'InvalidPinMissingRequiredCharacters', characterClass: 'digits' });
    expect(checkPin('Abcdefg', mixed)?.message).toContain('digits');
  });

  it('reports InvalidPinDisallowedCharacters naming the disallowed class', () => {
    expect(checkPin('Ab3d5f!', mixed)).toMatchObject({ code: 'InvalidPinDisallowedCharacters', characterClass: 'special' });
    expect(checkPin('482193a', DEFAULT_PIN_COMPLEXITY)).toMatchObject({ characterClass: 'lowercase' });
  });

  it('reports InvalidPinUnknownCharacters for a space or a non-ASCII character', () => {
    expect(checkPin('Ab3 d5f', mixed)?.code).toBe('InvalidPinUnknownCharacters');
    expect(checkPin('Ab3dé5f', mixed)?.code).toBe('InvalidPinUnknownCharacters');
    expect(checkPin('4821930٣', DEFAULT_PIN_COMPLEXITY)?.code).toBe('InvalidPinUnknownCharacters');
  });

  it('counts code points, not UTF-16 units, for the length', () => {
    expect(checkPin('1😀', policy({ pinMinimumLength: 4 }))?.code).toBe('InvalidPinTooFewCharacters');
  });

  it('never puts the PIN into its message', () => {
    const pin = 'Zq7!Zq7!';
    for (const c of [mixed, DEFAULT_PIN_COMPLEXITY, policy({ pinMaximumLength: 7 })]) {
      const failure = checkPin(pin, c);
      expect(failure).toBeDefined();
      expect(failure?.message).not.toContain(pin);
    }
  });
});

describe('the failure codes and their admin explanations', () => {
  it('exports the closed set of Windows reason codes', () => {
    expect([...PIN_FAILURE_CODES].sort()).toEqual([
      'InvalidPinConstantStep',
      'InvalidPinDisallowedCharacters',
      'InvalidPinMissingRequiredCharacters',
      'InvalidPinTooFewCharacters',
      'InvalidPinTooManyCharacters',
      'InvalidPinUnknownCharacters',
    ]);
    expect(isPinFailureCode('InvalidPinTooFewCharacters')).toBe(true);
    expect(isPinFailureCode('SomethingElse')).toBe(false);
  });

  it('tells the admin to align pinMinimumLength when the device found too few characters', () => {
    const text = describePinFailure('InvalidPinTooFewCharacters', policy({ pinMinimumLength: 6 }));
    expect(text).toMatch(/^The device's PIN policy is stricter than this tenant's settings — align pinMinimumLength/);
    expect(text).toContain('currently 6');
    expect(text).toContain('8 characters');
  });

  it('tells the admin to align pinMaximumLength when the device found too many characters', () => {
    expect(describePinFailure('InvalidPinTooManyCharacters', DEFAULT_PIN_COMPLEXITY)).toContain('align pinMaximumLength');
  });

  it('names the usage fields that could be made required or disallowed', () => {
    const missing = describePinFailure('InvalidPinMissingRequiredCharacters', DEFAULT_PIN_COMPLEXITY);
    expect(missing).toContain('pinUppercaseCharactersUsage');
    expect(missing).toContain('pinSpecialCharactersUsage');
    expect(missing).not.toContain('pinDigitsUsage');
    const disallowed = describePinFailure('InvalidPinDisallowedCharacters', policy({ pinLowercaseCharactersUsage: 'allowed' }));
    expect(disallowed).toContain('pinLowercaseCharactersUsage');
    expect(disallowed).toContain('pinDigitsUsage');
  });

  it('has a non-empty explanation for every code under every kind of policy', () => {
    const policies: PinComplexity[] = [
      DEFAULT_PIN_COMPLEXITY,
      allAllowed,
      policy({ pinUppercaseCharactersUsage: 'required', pinLowercaseCharactersUsage: 'required', pinSpecialCharactersUsage: 'required' }),
    ];
    for (const c of policies) {
      for (const code of PIN_FAILURE_CODES as readonly PinFailureCode[]) {
        const text = describePinFailure(code, c);
        expect(text.length).toBeGreaterThan(40);
        expect(text).not.toMatch(/undefined|NaN|\s{2}/);
      }
    }
  });
});

describe('the generated passcode length', () => {
  it('is max(min, 8) capped at max', () => {
    expect(passcodeLengthFor(policy({ pinMinimumLength: 4 }))).toBe(8);
    expect(passcodeLengthFor(policy({ pinMinimumLength: 7 }))).toBe(8);
    expect(passcodeLengthFor(policy({ pinMinimumLength: 12 }))).toBe(12);
    expect(passcodeLengthFor(policy({ pinMinimumLength: 4, pinMaximumLength: 6 }))).toBe(6);
  });
});
