import { DEFAULT_PIN_COMPLEXITY, type PinComplexity } from './pin-policy.js';

/** The Microsoft cloud a tenant lives in (selects authority and Graph hosts). */
export const CLOUDS = ['public', 'usGovernment', 'china'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** What an admin configures per tenant (`/pinResetSettings`). */
export interface TenantSettings {
  webSignInAllowedUrls: string[];
  cloud: Cloud;
  pinComplexity: PinComplexity;
  protectorKeyRotationDays: number;
}

export const DEFAULT_PROTECTOR_KEY_ROTATION_DAYS = 365;

export function defaultTenantSettings(): TenantSettings {
  return {
    webSignInAllowedUrls: [],
    cloud: 'public',
    pinComplexity: { ...DEFAULT_PIN_COMPLEXITY },
    protectorKeyRotationDays: DEFAULT_PROTECTOR_KEY_ROTATION_DAYS,
  };
}
