import type { CharacterUsage, PinComplexity } from '../domain/pin-policy.js';
import type { TenantSettings } from '../domain/tenant-settings.js';

/**
 * The device policy an admin deploys for PIN recovery with this tenant: a Graph
 * `windows10CustomConfiguration` that can be POSTed unchanged to
 * `deviceManagement/deviceConfigurations`. It carries only Graph properties; the Group Policy
 * equivalents are written into Graph's own `description` fields (the profile's, and each setting's),
 * so nothing has to be stripped before the POST and the text stays visible in Intune afterwards.
 */

export interface OmaSettingBoolean {
  '@odata.type': '#microsoft.graph.omaSettingBoolean';
  displayName: string;
  description: string;
  omaUri: string;
  value: boolean;
}

export interface OmaSettingInteger {
  '@odata.type': '#microsoft.graph.omaSettingInteger';
  displayName: string;
  description: string;
  omaUri: string;
  value: number;
}

export interface OmaSettingString {
  '@odata.type': '#microsoft.graph.omaSettingString';
  displayName: string;
  description: string;
  omaUri: string;
  value: string;
}

export type OmaSetting = OmaSettingBoolean | OmaSettingInteger | OmaSettingString;

export interface Windows10CustomConfiguration {
  '@odata.type': '#microsoft.graph.windows10CustomConfiguration';
  displayName: string;
  description: string;
  omaSettings: OmaSetting[];
}

/** PassportForWork CSP: 0 = allowed, 1 = required (at least one), 2 = disallowed. */
export const CSP_USAGE_VALUES: Readonly<Record<CharacterUsage, number>> = { allowed: 0, required: 1, disallowed: 2 };

export const WEB_SIGN_IN_OMA_URI = './Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls';
export const US_GOVERNMENT_SIGN_IN_HOST = 'login.microsoftonline.us';

const GPO_HELLO = 'Computer Configuration > Administrative Templates > Windows Components > Windows Hello for Business';
const GPO_PIN_COMPLEXITY = 'Computer Configuration > Administrative Templates > System > PIN Complexity';

const USAGE_NODES: readonly { field: keyof PinComplexity; node: string; label: string; gpo: string }[] = [
  { field: 'pinUppercaseCharactersUsage', node: 'UppercaseLetters', label: 'uppercase letters', gpo: 'Require uppercase letters' },
  { field: 'pinLowercaseCharactersUsage', node: 'LowercaseLetters', label: 'lowercase letters', gpo: 'Require lowercase letters' },
  { field: 'pinSpecialCharactersUsage', node: 'SpecialCharacters', label: 'special characters', gpo: 'Require special characters' },
  { field: 'pinDigitsUsage', node: 'Digits', label: 'digits', gpo: 'Require digits' },
];

/**
 * An OMA setting's value as a person reads it: a character-class node's integer with its meaning
 * (`2 (disallowed)`), anything else as it is. The admin center and `pinreset-agent admin policy` show it.
 */
export function omaValueText(omaUri: string, value: unknown): string {
  const isUsageNode = USAGE_NODES.some(({ node }) => omaUri.endsWith(`/PINComplexity/${node}`));
  const usage = Object.entries(CSP_USAGE_VALUES).find(([, number]) => number === value)?.[0];
  return isUsageNode && usage ? `${String(value)} (${usage})` : String(value);
}

function gpoUsage(usage: CharacterUsage, gpo: string): string {
  if (usage === 'required') return `Group Policy: ${GPO_PIN_COMPLEXITY} > ${gpo} = Enabled.`;
  if (usage === 'disallowed') return `Group Policy: ${GPO_PIN_COMPLEXITY} > ${gpo} = Disabled.`;
  return `Group Policy has no "allowed but not required" state for ${gpo}; use this CSP setting (MDM).`;
}

/** The web sign-in hosts a device must allow: the tenant's federation hosts, plus the US Government authority. */
export function webSignInHosts(settings: TenantSettings): string[] {
  const hosts = [...settings.webSignInAllowedUrls];
  if (settings.cloud === 'usGovernment' && !hosts.includes(US_GOVERNMENT_SIGN_IN_HOST)) hosts.push(US_GOVERNMENT_SIGN_IN_HOST);
  return hosts;
}

export function buildClientPolicy(tenantId: string, settings: TenantSettings, tenantDisplayName: string | null): Windows10CustomConfiguration {
  const policies = `./Device/Vendor/MSFT/PassportForWork/${tenantId}/Policies`;
  const complexity = settings.pinComplexity;
  const omaSettings: OmaSetting[] = [
    {
      '@odata.type': '#microsoft.graph.omaSettingBoolean',
      displayName: 'Enable PIN recovery',
      description: `Turns on Windows Hello for Business PIN recovery with tenant ${tenantId}. Group Policy: ${GPO_HELLO} > Use PIN Recovery = Enabled.`,
      omaUri: `${policies}/EnablePinRecovery`,
      value: true,
    },
    {
      '@odata.type': '#microsoft.graph.omaSettingInteger',
      displayName: 'Minimum PIN length',
      description: `Group Policy: ${GPO_PIN_COMPLEXITY} > Minimum PIN length = Enabled, ${complexity.pinMinimumLength}.`,
      omaUri: `${policies}/PINComplexity/MinimumPINLength`,
      value: complexity.pinMinimumLength,
    },
    {
      '@odata.type': '#microsoft.graph.omaSettingInteger',
      displayName: 'Maximum PIN length',
      description: `Group Policy: ${GPO_PIN_COMPLEXITY} > Maximum PIN length = Enabled, ${complexity.pinMaximumLength}.`,
      omaUri: `${policies}/PINComplexity/MaximumPINLength`,
      value: complexity.pinMaximumLength,
    },
    ...USAGE_NODES.map(({ field, node, label, gpo }): OmaSettingInteger => {
      const usage = complexity[field] as CharacterUsage;
      return {
        '@odata.type': '#microsoft.graph.omaSettingInteger',
        displayName: `PIN ${label}`,
        description: `${usage} (0 = allowed, 1 = required, 2 = disallowed). ${gpoUsage(usage, gpo)}`,
        omaUri: `${policies}/PINComplexity/${node}`,
        value: CSP_USAGE_VALUES[usage],
      };
    }),
  ];
  const hosts = webSignInHosts(settings);
  if (hosts.length > 0) {
    omaSettings.push({
      '@odata.type': '#microsoft.graph.omaSettingString',
      displayName: 'Web sign-in allowed URLs',
      description:
        'Sign-in hosts the PIN reset web page may navigate to (federated identity providers; login.microsoftonline.us for US Government). Policy CSP only: no Group Policy equivalent.',
      omaUri: WEB_SIGN_IN_OMA_URI,
      value: hosts.join(';'),
    });
  }
  const name = tenantDisplayName ? `${tenantDisplayName} (${tenantId})` : tenantId;
  const usageText = (usage: CharacterUsage) => (usage === 'required' ? 'Enabled' : usage === 'disallowed' ? 'Disabled' : 'not expressible (allowed)');
  const gpo =
    `Group Policy equivalents (Computer Configuration > Administrative Templates): Windows Components > Windows Hello for Business > Use PIN Recovery = Enabled; ` +
    `System > PIN Complexity > Minimum PIN length = ${complexity.pinMinimumLength}, Maximum PIN length = ${complexity.pinMaximumLength}, ` +
    USAGE_NODES.map(({ field, gpo: policyName }) => `${policyName} = ${usageText(complexity[field] as CharacterUsage)}`).join(', ') +
    (hosts.length > 0 ? '; ConfigureWebSignInAllowedUrls has no Group Policy equivalent (Policy CSP only).' : '.');
  return {
    '@odata.type': '#microsoft.graph.windows10CustomConfiguration',
    displayName: `Windows Hello for Business PIN recovery – ${name}`,
    description:
      `Turns on Windows Hello for Business PIN recovery (Windows' own, with Microsoft's PIN reset service) and sets the PIN complexity for tenant ${tenantId}. ` +
      `It does not point devices or agents at the self-hosted PIN reset service. Assign to devices (device scope). ${gpo}`,
    omaSettings,
  };
}
