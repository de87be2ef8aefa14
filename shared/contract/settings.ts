import { z } from 'zod';
import { CHARACTER_USAGES, PIN_LENGTH_LOWER_BOUND, PIN_LENGTH_UPPER_BOUND } from '../domain/pin-policy.js';
import { CLOUDS } from '../domain/tenant-settings.js';
import { isDomainName } from '../domain/onboarding.js';

export { CHARACTER_USAGES, CLOUDS };

const characterUsage = z.enum(CHARACTER_USAGES);
const pinLength = z.number().int().min(PIN_LENGTH_LOWER_BOUND).max(PIN_LENGTH_UPPER_BOUND);

/** PassportForWork PIN complexity, as settings store it and as a passcode action carries it. */
export const pinComplexitySchema = z
  .strictObject({
    pinMinimumLength: pinLength,
    pinMaximumLength: pinLength,
    pinUppercaseCharactersUsage: characterUsage,
    pinLowercaseCharactersUsage: characterUsage,
    pinSpecialCharactersUsage: characterUsage,
    pinDigitsUsage: characterUsage,
  })
  .meta({ id: 'pinComplexity' });

export const tenantSettingsSchema = z
  .object({
    webSignInAllowedUrls: z.array(z.string()),
    cloud: z.enum(CLOUDS),
    pinComplexity: pinComplexitySchema,
    protectorKeyRotationDays: z.number().int(),
  })
  .meta({ id: 'pinResetSettings' });
export type TenantSettingsBody = z.infer<typeof tenantSettingsSchema>;

const hostName = z.string().max(253).refine(isDomainName, 'must be a host name such as signin.contoso.com (no scheme, path or port)');

/** A JSON merge patch: every property optional, nested pinComplexity merges too; unknown properties are refused. */
export const tenantSettingsPatchSchema = z
  .strictObject({
    webSignInAllowedUrls: z.array(hostName).max(50).optional(),
    cloud: z.enum(CLOUDS).optional(),
    pinComplexity: pinComplexitySchema.partial().optional(),
    protectorKeyRotationDays: z.number().int().min(1).max(3650).optional(),
  })
  .meta({ id: 'pinResetSettingsPatch' });
export type TenantSettingsPatch = z.input<typeof tenantSettingsPatchSchema>;

const omaSettingSchema = z
  .object({
    '@odata.type': z.enum(['#microsoft.graph.omaSettingBoolean', '#microsoft.graph.omaSettingInteger', '#microsoft.graph.omaSettingString']),
    displayName: z.string(),
    description: z.string(),
    omaUri: z.string(),
    value: z.union([z.boolean(), z.number(), z.string()]),
  })
  .meta({ id: 'omaSetting' });
export type OmaSetting = z.infer<typeof omaSettingSchema>;

/** GET pinRecoveryPolicy: a windows10CustomConfiguration body, Group Policy equivalents in the descriptions. */
export const pinRecoveryPolicySchema = z
  .object({
    '@odata.type': z.literal('#microsoft.graph.windows10CustomConfiguration'),
    displayName: z.string(),
    description: z.string(),
    omaSettings: z.array(omaSettingSchema),
  })
  .meta({ id: 'pinRecoveryPolicy' });
export type PinRecoveryPolicy = z.infer<typeof pinRecoveryPolicySchema>;
