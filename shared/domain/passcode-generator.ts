/**
 * Generates the passcode of an Intune-style "reset passcode" action so that the device's Windows Hello
 * for Business check (modelled by `checkPin`) accepts it under the tenant's PIN complexity.
 *
 * Distribution: exactly uniform over the compliant passcodes of the chosen length.
 *
 *   1. Draw every character independently and uniformly (CSPRNG `randomInt`, itself unbiased) from the
 *      alphabet of the effective policy: the union of the classes that are `allowed` or `required`.
 *   2. Accept the string only if `checkPin` accepts it (every required class present; the constant-step
 *      rule) and it is not a constant step modulo 10 either (7890, 2109: a stricter device reading);
 *      otherwise draw again from scratch.
 *
 * Rejection sampling from a uniform distribution yields the uniform distribution on the accepted set,
 * so every compliant passcode is equally likely and no character is favoured beyond what the policy
 * itself implies. The often-suggested alternative (force one character of each required class, fill
 * the rest from the full alphabet, shuffle with Fisher–Yates) is NOT uniform: a passcode is produced in
 * as many ways as it has characters of the forced class, so small required classes are over-weighted —
 * with digits required among 94 characters at length 8, a position is a digit with probability
 * 1/8 + 7/8 · 10/94 ≈ 0.218 instead of ≈ 0.179 for uniform-over-compliant. The unit tests check this
 * generator against the exact uniform-over-compliant frequencies and show the forced variant fails.
 *
 * Cost: the acceptance probability is smallest when length is 4 and all four classes are required:
 * 4! · 10 · 26 · 26 · 32 / 94⁴ ≈ 0.066, i.e. about 15 draws of 4 characters on average; typical
 * policies accept on the first or second draw. Constant-step digit strings (modulo 10, which includes
 * the plain ones) are 100 of the 10^L, at most 1%.
 * `MAX_ATTEMPTS` bounds the loop only against a broken `randomInt` (p ≈ 0.934^10000 otherwise).
 */
import { randomInt as cryptoRandomInt } from 'node:crypto';
import {
  CHARACTER_CLASS_ALPHABETS,
  CHARACTER_CLASSES,
  checkPin,
  effectiveComplexity,
  isConstantStepDigits,
  passcodeLengthFor,
  usageOf,
  validatePinComplexity,
} from './pin-policy.js';
import type { PinComplexity, PolicyViolation } from './pin-policy.js';

/** Uniform integer in [min, maxExclusive); must be unbiased and cryptographically strong in production. */
export type RandomInt = (min: number, maxExclusive: number) => number;

export const defaultRandomInt: RandomInt = (min, maxExclusive) => cryptoRandomInt(min, maxExclusive);

export const MAX_ATTEMPTS = 10_000;

export class InvalidPolicyError extends Error {
  readonly violations: readonly PolicyViolation[];

  constructor(violations: readonly PolicyViolation[]) {
    super(`Invalid PIN complexity: ${violations.map((v) => `${v.field}: ${v.message}`).join(' ')}`);
    this.name = 'InvalidPolicyError';
    this.violations = violations;
  }
}

/** The characters a passcode may use under `complexity` (effective policy), in class order. */
export function passcodeAlphabet(complexity: PinComplexity): string {
  const policy = effectiveComplexity(complexity);
  return CHARACTER_CLASSES.filter((c) => usageOf(policy, c) !== 'disallowed')
    .map((c) => CHARACTER_CLASS_ALPHABETS[c])
    .join('');
}

/**
 * A passcode of length max(pinMinimumLength, 8) capped at pinMaximumLength, uniform over the strings
 * of that length that `checkPin` accepts (and that are not a wrap-around constant step). Throws
 * `InvalidPolicyError` when the policy is invalid.
 */
export function generatePasscode(complexity: PinComplexity, randomInt: RandomInt = defaultRandomInt): string {
  const violations = validatePinComplexity(complexity);
  if (violations.length > 0) throw new InvalidPolicyError(violations);

  const alphabet = passcodeAlphabet(complexity);
  const length = passcodeLengthFor(complexity);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let candidate = '';
    for (let i = 0; i < length; i++) {
      const index = randomInt(0, alphabet.length);
      const character = alphabet[index];
      if (!Number.isInteger(index) || character === undefined) {
        throw new RangeError(`randomInt(0, ${alphabet.length}) returned ${index}.`);
      }
      candidate += character;
    }
    if (checkPin(candidate, complexity) === undefined && !isConstantStepDigits(candidate, { wrapAround: true })) {
      return candidate;
    }
  }
  throw new Error(`No compliant passcode after ${MAX_ATTEMPTS} attempts; the random source is not uniform.`);
}
