import { onboardingStartUrl, tenantNotOnboarded } from '../domain/errors.js';
import type { TenantRecord } from '../domain/tenant.js';
import { defaultTenantSettings, type TenantSettings } from '../domain/tenant-settings.js';
import type { TenantSettingsRepository } from '../storage/tenant-settings-repository.js';
import type { TenantRepository } from '../storage/tenant-repository.js';

/**
 * Features other than onboarding work only for an `active` tenant. The message tells the caller what
 * to do; it names nothing but the caller's own tenant.
 */
export async function requireActiveTenant(tenants: TenantRepository, tenantId: string, publicBaseUrl: string): Promise<TenantRecord> {
  const tenant = (await tenants.get(tenantId))?.value;
  if (tenant?.onboardingState !== 'active') throw tenantNotOnboarded(onboardingStartUrl(publicBaseUrl, tenantId));
  return tenant;
}

/** The tenant's settings, or the defaults when an admin never changed them. */
export async function tenantSettingsOrDefaults(settings: TenantSettingsRepository, tenantId: string): Promise<TenantSettings> {
  return (await settings.get(tenantId))?.value ?? defaultTenantSettings();
}
