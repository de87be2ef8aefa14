import { readFile } from 'node:fs/promises';
import {
  DEFAULT_PIN_COMPLEXITY,
  PIN_LENGTH_LOWER_BOUND,
  PIN_LENGTH_UPPER_BOUND,
  validatePinComplexity,
  type PinComplexity,
} from '../../shared/domain/pin-policy.js';
import { stringOption, UsageError, type OptionDefs, type OptionValues } from './args.js';
import { PIN_COMPLEXITY_OPTIONS, pinComplexityFromOptions } from './pin-complexity-options.js';

const LOCAL_LENGTHS = { min: PIN_LENGTH_LOWER_BOUND, max: PIN_LENGTH_UPPER_BOUND };

/** Options describing the device's own PIN complexity policy (PassportForWork PINComplexity). */
export const LOCAL_POLICY_OPTIONS: OptionDefs = {
  ...PIN_COMPLEXITY_OPTIONS,
  'policy-file': { type: 'string', valueName: '<file>', description: 'JSON file with a pinComplexity object (the fields of pinResetSettings.pinComplexity).' },
};

/**
 * The local policy: `base` (the enrolled one, else the CSP defaults), overlaid by --policy-file, then
 * by the individual options. Validated like the service validates tenant settings.
 */
export async function localPolicyFrom(values: OptionValues, base: PinComplexity = DEFAULT_PIN_COMPLEXITY): Promise<PinComplexity> {
  let policy: PinComplexity = { ...base };
  const file = stringOption(values, 'policy-file');
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`Cannot read --policy-file ${file}: ${(error as Error).message}`);
    }
    const object = (
      parsed && typeof parsed === 'object' && 'pinComplexity' in parsed ? (parsed as { pinComplexity: unknown }).pinComplexity : parsed
    ) as Partial<PinComplexity>;
    policy = { ...policy, ...object };
  }
  policy = { ...policy, ...pinComplexityFromOptions(values, LOCAL_LENGTHS) };
  const violations = validatePinComplexity(policy);
  if (violations.length > 0) throw new UsageError(`Invalid local PIN policy: ${violations.map((v) => v.message).join(' ')}`);
  return policy;
}

/** Checks the options' syntax only (before the state that gives the base policy is read). */
export function checkLocalPolicyOptions(values: OptionValues): void {
  pinComplexityFromOptions(values, LOCAL_LENGTHS);
}

export function hasLocalPolicyOptions(values: OptionValues): boolean {
  return Object.keys(LOCAL_POLICY_OPTIONS).some((name) => values[name] !== undefined);
}

export function describePolicy(policy: PinComplexity): string {
  return (
    `length ${policy.pinMinimumLength}..${policy.pinMaximumLength}, digits ${policy.pinDigitsUsage}, uppercase ${policy.pinUppercaseCharactersUsage}, ` +
    `lowercase ${policy.pinLowercaseCharactersUsage}, special ${policy.pinSpecialCharactersUsage}`
  );
}
