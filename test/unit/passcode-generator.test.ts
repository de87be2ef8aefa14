import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CHARACTER_CLASSES,
  CHARACTER_CLASS_ALPHABETS,
  DEFAULT_PIN_COMPLEXITY,
  checkPin,
  classOfCharacter,
  effectiveComplexity,
  isConstantStepDigits,
  passcodeLengthFor,
  usageOf,
} from '../../shared/domain/pin-policy.js';
import type { CharacterClass, CharacterUsage, PinComplexity } from '../../shared/domain/pin-policy.js';
import { InvalidPolicyError, MAX_ATTEMPTS, generatePasscode, passcodeAlphabet } from '../../shared/domain/passcode-generator.js';
import type { RandomInt } from '../../shared/domain/passcode-generator.js';
import { randomInt as cryptoRandomInt } from 'node:crypto';

// ---------------------------------------------------------------------------------------------------
// Helpers

const usageArb: fc.Arbitrary<CharacterUsage> = fc.constantFrom('allowed', 'required', 'disallowed');

/** Any valid PinComplexity: 4 ≤ min ≤ max ≤ 127 and at least one class not disallowed. */
const validComplexityArb: fc.Arbitrary<PinComplexity> = fc
  .record({
    a: fc.integer({ min: 4, max: 127 }),
    b: fc.integer({ min: 4, max: 127 }),
    pinUppercaseCharactersUsage: usageArb,
    pinLowercaseCharactersUsage: usageArb,
    pinSpecialCharactersUsage: usageArb,
    pinDigitsUsage: usageArb,
  })
  .filter((r) => [r.pinUppercaseCharactersUsage, r.pinLowercaseCharactersUsage, r.pinSpecialCharactersUsage, r.pinDigitsUsage].some((u) => u !== 'disallowed'))
  .map(({ a, b, ...usages }) => ({ pinMinimumLength: Math.min(a, b), pinMaximumLength: Math.max(a, b), ...usages }));

/** Deterministic, unbiased randomInt from a 32-bit seed (mulberry32 + rejection), for reproducible shrinking. */
function seededRandomInt(seed: number): RandomInt {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (min, maxExclusive) => {
    const range = maxExclusive - min;
    const limit = Math.floor(0x1_0000_0000 / range) * range;
    let u = next();
    while (u >= limit) u = next();
    return min + (u % range);
  };
}

function classesIn(passcode: string): Set<CharacterClass | undefined> {
  return new Set(Array.from(passcode, (ch) => classOfCharacter(ch)));
}

// ---- chi-square machinery --------------------------------------------------------------------------

/** erfc with fractional error < 1.2e-7 (Numerical Recipes' Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal quantile by bisection on Φ(z) = erfc(-z/√2)/2. */
function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(-mid / Math.SQRT2) / 2 < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Wilson–Hilferty approximation of the chi-square quantile: k·(1 − 2/(9k) + z_p·√(2/(9k)))³. */
function chiSquareCritical(degreesOfFreedom: number, p: number): number {
  const k = degreesOfFreedom;
  const h = 2 / (9 * k);
  return k * (1 - h + normalQuantile(p) * Math.sqrt(h)) ** 3;
}

function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  let sum = 0;
  observed.forEach((o, i) => {
    const e = expected[i] ?? Number.NaN;
    sum += (o - e) ** 2 / e;
  });
  return sum;
}

/**
 * Under "uniform over compliant passcodes" (every required class present), the probability that a
 * given position holds one particular character of class `cls`, by inclusion–exclusion over the
 * required classes that still have to appear elsewhere. Constant-step rejection (≤ 100 of 10^L
 * digit-only strings) is ignored; it is far below what 20,000 samples can see.
 */
function positionProbability(complexity: PinComplexity, cls: CharacterClass): number {
  const policy = effectiveComplexity(complexity);
  const size = (c: CharacterClass) => CHARACTER_CLASS_ALPHABETS[c].length;
  const A = CHARACTER_CLASSES.filter((c) => usageOf(policy, c) !== 'disallowed').reduce((n, c) => n + size(c), 0);
  const required = CHARACTER_CLASSES.filter((c) => usageOf(policy, c) === 'required');
  const L = passcodeLengthFor(policy);
  const coverAll = (classes: readonly CharacterClass[], n: number): number => {
    // P(n uniform characters over A cover every class in `classes`)
    let total = 0;
    for (let mask = 0; mask < 1 << classes.length; mask++) {
      const missing = classes.filter((_, i) => mask & (1 << i));
      const excluded = missing.reduce((s, c) => s + size(c), 0);
      total += (missing.length % 2 === 0 ? 1 : -1) * ((A - excluded) / A) ** n;
    }
    return total;
  };
  return (
    ((1 / A) *
      coverAll(
        required.filter((c) => c !== cls),
        L - 1,
      )) /
    coverAll(required, L)
  );
}

/** The "force one of each required class, fill, Fisher–Yates" generator, kept here to show its bias. */
function forcedShuffleGenerator(complexity: PinComplexity, randomInt: RandomInt): string {
  const policy = effectiveComplexity(complexity);
  const alphabet = passcodeAlphabet(policy);
  const chars: string[] = [];
  for (const c of CHARACTER_CLASSES) {
    if (usageOf(policy, c) === 'required') {
      const a = CHARACTER_CLASS_ALPHABETS[c];
      chars.push(a[randomInt(0, a.length)] ?? '');
    }
  }
  while (chars.length < passcodeLengthFor(policy)) chars.push(alphabet[randomInt(0, alphabet.length)] ?? '');
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

interface Counts {
  /** Per character, pooled over every position. */
  all: Map<string, number>;
  /** Per class, first position only (independent samples). */
  firstClass: Map<CharacterClass, number>;
}

function count(passcodes: readonly string[]): Counts {
  const all = new Map<string, number>();
  const firstClass = new Map<CharacterClass, number>();
  for (const p of passcodes) {
    for (const ch of p) all.set(ch, (all.get(ch) ?? 0) + 1);
    const c = classOfCharacter(p[0] ?? '');
    if (c) firstClass.set(c, (firstClass.get(c) ?? 0) + 1);
  }
  return { all, firstClass };
}

/** Within each class, every character equally often (pooled over positions): statistic and df. */
function withinClassStatistic(complexity: PinComplexity, counts: Counts): { statistic: number; df: number } {
  const policy = effectiveComplexity(complexity);
  let statistic = 0;
  let df = 0;
  for (const c of CHARACTER_CLASSES) {
    if (usageOf(policy, c) === 'disallowed') continue;
    const alphabet = Array.from(CHARACTER_CLASS_ALPHABETS[c]);
    const observed = alphabet.map((ch) => counts.all.get(ch) ?? 0);
    const total = observed.reduce((a, b) => a + b, 0);
    statistic += chiSquare(
      observed,
      observed.map(() => total / alphabet.length),
    );
    df += alphabet.length - 1;
  }
  return { statistic, df };
}

/** Class of the first character vs the exact uniform-over-compliant probabilities. */
function classStatistic(complexity: PinComplexity, counts: Counts, n: number): { statistic: number; df: number } {
  const policy = effectiveComplexity(complexity);
  const classes = CHARACTER_CLASSES.filter((c) => usageOf(policy, c) !== 'disallowed');
  const expected = classes.map((c) => n * CHARACTER_CLASS_ALPHABETS[c].length * positionProbability(policy, c));
  return {
    statistic: chiSquare(
      classes.map((c) => counts.firstClass.get(c) ?? 0),
      expected,
    ),
    df: classes.length - 1,
  };
}

const SAMPLES = 20_000;
const CONFIDENCE = 0.999;

const mixedPolicy: PinComplexity = {
  pinMinimumLength: 6,
  pinMaximumLength: 16,
  pinUppercaseCharactersUsage: 'required',
  pinLowercaseCharactersUsage: 'allowed',
  pinSpecialCharactersUsage: 'allowed',
  pinDigitsUsage: 'required',
};

// ---------------------------------------------------------------------------------------------------

describe('the statistics helpers used by the bias tests', () => {
  it('gives the textbook normal quantile and chi-square critical values within one percent', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 4);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 4);
    // Published 0.999 quantiles: df 9 → 27.877, df 90 → 137.208 (table values, used only to check the approximation).
    expect(Math.abs(chiSquareCritical(9, 0.999) / 27.877 - 1)).toBeLessThan(0.01);
    expect(Math.abs(chiSquareCritical(90, 0.999) / 137.208 - 1)).toBeLessThan(0.01);
  });

  it('computes position probabilities that sum to one over the alphabet', () => {
    for (const c of [mixedPolicy, DEFAULT_PIN_COMPLEXITY, { ...mixedPolicy, pinSpecialCharactersUsage: 'required' as const, pinMaximumLength: 4 }]) {
      const total = CHARACTER_CLASSES.filter((k) => usageOf(c, k) !== 'disallowed').reduce(
        (s, k) => s + CHARACTER_CLASS_ALPHABETS[k].length * positionProbability(c, k),
        0,
      );
      expect(total).toBeCloseTo(1, 12);
    }
  });
});

describe('generating a passcode', () => {
  it('satisfies every random valid policy, with the expected length, every required class and no disallowed class', () => {
    fc.assert(
      fc.property(validComplexityArb, (complexity) => {
        const passcode = generatePasscode(complexity);
        const policy = effectiveComplexity(complexity);
        expect(checkPin(passcode, complexity)).toBeUndefined();
        expect(passcode).toHaveLength(Math.min(Math.max(complexity.pinMinimumLength, 8), complexity.pinMaximumLength));
        const present = classesIn(passcode);
        expect(present.has(undefined)).toBe(false);
        for (const c of CHARACTER_CLASSES) {
          if (usageOf(policy, c) === 'required') expect(present.has(c)).toBe(true);
          if (usageOf(policy, c) === 'disallowed') expect(present.has(c)).toBe(false);
        }
        expect(isConstantStepDigits(passcode, { wrapAround: true })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('satisfies every random valid policy for any injected random source, deterministically per seed', () => {
    fc.assert(
      fc.property(validComplexityArb, fc.integer(), (complexity, seed) => {
        const passcode = generatePasscode(complexity, seededRandomInt(seed));
        expect(generatePasscode(complexity, seededRandomInt(seed))).toBe(passcode);
        expect(checkPin(passcode, complexity)).toBeUndefined();
        expect(passcode).toHaveLength(passcodeLengthFor(complexity));
      }),
      { numRuns: 300 },
    );
  });

  it('never produces a 6-character passcode for the field-case policy with minimum 7', () => {
    const fieldCase = { ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 7 };
    for (let i = 0; i < 2_000; i++) {
      const passcode = generatePasscode(fieldCase);
      expect(passcode).toHaveLength(8);
      expect(checkPin(passcode, fieldCase)).toBeUndefined();
    }
    expect(generatePasscode({ ...fieldCase, pinMaximumLength: 7 })).toHaveLength(7);
  });

  it('uses the minimum when it is above 8 and the maximum when it is below 8', () => {
    expect(generatePasscode({ ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 12 })).toHaveLength(12);
    expect(generatePasscode({ ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 4, pinMaximumLength: 5 })).toHaveLength(5);
  });

  it('never produces a constant-step digit run, even wrapping around, at the shortest length', () => {
    const fourDigits = { ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 4, pinMaximumLength: 4 };
    for (let i = 0; i < 5_000; i++) {
      const passcode = generatePasscode(fourDigits);
      expect(isConstantStepDigits(passcode, { wrapAround: true })).toBe(false);
    }
  });

  it('generates digits only when every class is merely allowed (the default complexity rule)', () => {
    const allAllowed: PinComplexity = {
      ...mixedPolicy,
      pinUppercaseCharactersUsage: 'allowed',
      pinDigitsUsage: 'allowed',
    };
    for (let i = 0; i < 200; i++) expect(generatePasscode(allAllowed)).toMatch(/^[0-9]{8}$/);
  });

  it('asks the random source only for indexes into the alphabet of the policy', () => {
    const calls: Array<[number, number]> = [];
    const spy: RandomInt = (min, max) => {
      calls.push([min, max]);
      return cryptoRandomInt(min, max);
    };
    generatePasscode(mixedPolicy, spy);
    expect(calls.length).toBeGreaterThanOrEqual(8);
    expect(new Set(calls.map(([a, b]) => `${a},${b}`))).toEqual(new Set(['0,94']));
    expect(passcodeAlphabet(DEFAULT_PIN_COMPLEXITY)).toBe('0123456789');
  });

  it('refuses an invalid policy with an InvalidPolicyError carrying the violations', () => {
    const invalid = { ...DEFAULT_PIN_COMPLEXITY, pinMinimumLength: 3, pinDigitsUsage: 'disallowed' as const };
    let error: unknown;
    try {
      generatePasscode(invalid);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPolicyError);
    expect(error).toBeInstanceOf(Error);
    expect((error as InvalidPolicyError).violations.map((v) => v.field)).toEqual(['pinComplexity.pinMinimumLength', 'pinComplexity']);
  });

  it('fails loudly instead of looping forever or returning a refused passcode when the random source is broken', () => {
    expect(() => generatePasscode(DEFAULT_PIN_COMPLEXITY, () => 0)).toThrow(`${MAX_ATTEMPTS} attempts`);
    expect(() => generatePasscode(DEFAULT_PIN_COMPLEXITY, () => 10)).toThrow(RangeError);
    expect(() => generatePasscode(DEFAULT_PIN_COMPLEXITY, () => 0.5)).toThrow(RangeError);
  });
});

// The distribution tests feed the generator a fixed-seed uniform source: they test the algorithm's
// uniformity (no bias from class forcing, rejection or shuffling) reproducibly, so a run never fails by
// chance. The CSPRNG itself is exercised by the property tests above.
describe('the passcode character distribution', () => {
  it('is uniform over the digits for a digits-only policy of length 8 (chi-square at 0.999)', () => {
    const random = seededRandomInt(20261122);
    const passcodes = Array.from({ length: SAMPLES }, () => generatePasscode(DEFAULT_PIN_COMPLEXITY, random));
    expect(passcodes.every((p) => p.length === 8)).toBe(true);
    const { statistic, df } = withinClassStatistic(DEFAULT_PIN_COMPLEXITY, count(passcodes));
    expect(df).toBe(9);
    expect(statistic).toBeLessThan(chiSquareCritical(df, CONFIDENCE));
  });

  describe('for a mixed policy (digits and uppercase required, lowercase and special allowed)', () => {
    const random = seededRandomInt(7);
    const passcodes = Array.from({ length: SAMPLES }, () => generatePasscode(mixedPolicy, random));
    const counts = count(passcodes);

    it('is uniform within each character class (chi-square at 0.999)', () => {
      const { statistic, df } = withinClassStatistic(mixedPolicy, counts);
      expect(df).toBe(9 + 25 + 25 + 31);
      expect(statistic).toBeLessThan(chiSquareCritical(df, CONFIDENCE));
    });

    it('picks classes exactly as often as uniform-over-compliant passcodes do (chi-square at 0.999)', () => {
      const { statistic, df } = classStatistic(mixedPolicy, counts, SAMPLES);
      expect(df).toBe(3);
      expect(statistic).toBeLessThan(chiSquareCritical(df, CONFIDENCE));
    });

    it('would catch the bias of forcing one character per required class and shuffling', () => {
      const random = seededRandomInt(11);
      const biased = Array.from({ length: SAMPLES }, () => forcedShuffleGenerator(mixedPolicy, random));
      expect(biased.every((p) => checkPin(p, mixedPolicy) === undefined || isConstantStepDigits(p))).toBe(true);
      const { statistic, df } = classStatistic(mixedPolicy, count(biased), SAMPLES);
      expect(statistic).toBeGreaterThan(chiSquareCritical(df, CONFIDENCE));
    });
  });
});
