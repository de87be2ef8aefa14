import { readFile } from 'node:fs/promises';
import { CHARACTER_USAGES, DEFAULT_PIN_COMPLEXITY, validatePinComplexity, type PinComplexity } from '../../shared/domain/pin-policy.js';
import { choiceOption, integerOption, stringOption, UsageError, type OptionDefs, type OptionValues } from './args.js';

/** Options describing the device's own PIN complexity policy (PassportForWork PINComplexity). */
export const LOCAL_POLICY_OPTIONS: OptionDefs = {
  'min-length': { type: 'string', valueName: '<n>', description: 'Local MinimumPINLength (4..127).' },
  'max-length': { type: 'string', valueName: '<n>', description: 'Local MaximumPINLength (4..127).' },
  digits: { type: 'string', valueName: '<usage>', description: 'Digits: allowed | required | disallowed.' },
  uppercase: { type: 'string', valueName: '<usage>', description: 'Uppercase letters: allowed | required | disallowed.' },
  lowercase: { type: 'string', valueName: '<usage>', description: 'Lowercase letters: allowed | required | disallowed.' },
  special: { type: 'string', valueName: '<usage>', description: 'Special characters: allowed | required | disallowed.' },
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
    const object = (parsed && typeof parsed === 'object' && 'pinComplexity' in parsed ? (parsed as { pinComplexity: unknown }).pinComplexity : parsed) as Partial<PinComplexity>;
    policy = { ...policy, ...object };
  }
  const min = integerOption(values, 'min-length', { min: 4, max: 127 });
  const max = integerOption(values, 'max-length', { min: 4, max: 127 });
  if (min !== undefined) policy.pinMinimumLength = min;
  if (max !== undefined) policy.pinMaximumLength = max;
  const usage = (name: string) => choiceOption(values, name, CHARACTER_USAGES);
  policy.pinDigitsUsage = usage('digits') ?? policy.pinDigitsUsage;
  policy.pinUppercaseCharactersUsage = usage('uppercase') ?? policy.pinUppercaseCharactersUsage;
  policy.pinLowercaseCharactersUsage = usage('lowercase') ?? policy.pinLowercaseCharactersUsage;
  policy.pinSpecialCharactersUsage = usage('special') ?? policy.pinSpecialCharactersUsage;
  const violations = validatePinComplexity(policy);
  if (violations.length > 0) throw new UsageError(`Invalid local PIN policy: ${violations.map((v) => v.message).join(' ')}`);
  return policy;
}

/** Checks the options' syntax only (before the state that gives the base policy is read). */
export function checkLocalPolicyOptions(values: OptionValues): void {
  integerOption(values, 'min-length', { min: 4, max: 127 });
  integerOption(values, 'max-length', { min: 4, max: 127 });
  for (const name of ['digits', 'uppercase', 'lowercase', 'special']) choiceOption(values, name, CHARACTER_USAGES);
}

export function hasLocalPolicyOptions(values: OptionValues): boolean {
  return Object.keys(LOCAL_POLICY_OPTIONS).some((name) => values[name] !== undefined);
}

export function describePolicy(policy: PinComplexity): string {
  return `length ${policy.pinMinimumLength}..${policy.pinMaximumLength}, digits ${policy.pinDigitsUsage}, uppercase ${policy.pinUppercaseCharactersUsage}, ` +
    `lowercase ${policy.pinLowercaseCharactersUsage}, special ${policy.pinSpecialCharactersUsage}`;
}
