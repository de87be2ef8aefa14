import { newTenantRecord } from '../../shared/domain/tenant.js';
import { getServices } from '../../shared/wiring.js';
import { randomTenantId } from './tokens.js';

/**
 * Makes a tenant `active` directly through the TenantRepository (what onboarding does when it
 * completes) and fires every tenant lifecycle listener's `onTenantActivated`, as onboarding does.
 * Creates the Tenants row, or updates an existing one; returns the tenant id.
 */
export async function activateTenant(tenantId: string = randomTenantId()): Promise<string> {
  const services = getServices();
  const now = services.clock();
  const id = tenantId.toLowerCase();
  for (let attempt = 0; ; attempt += 1) {
    const existing = await services.tenants.get(id);
    try {
      if (existing) {
        await services.tenants.replace({ ...existing.value, onboardingState: 'active', lastUpdatedDateTime: now.toISOString() }, existing.etag);
      } else {
        const record = newTenantRecord(id, { serviceAppId: services.config.serviceAppId, clientAppId: services.config.clientAppId }, now);
        await services.tenants.create({ ...record, onboardingState: 'active' });
      }
      break;
    } catch (error) {
      // A concurrent activation of the same tenant: read again and retry.
      if (attempt >= 5) throw error;
    }
  }
  const correlationId = `test-activate-${id}`;
  for (const listener of services.tenantLifecycleListeners) await listener.onTenantActivated?.(id, correlationId);
  return id;
}

/** Offboards a tenant as onboarding would: state `offboarded`, then every listener's `onTenantOffboarded`. */
export async function offboardTenant(tenantId: string): Promise<void> {
  const services = getServices();
  const existing = await services.tenants.get(tenantId);
  if (existing) {
    await services.tenants.replace({ ...existing.value, onboardingState: 'offboarded', lastUpdatedDateTime: services.clock().toISOString() }, existing.etag);
  }
  for (const listener of services.tenantLifecycleListeners) await listener.onTenantOffboarded?.(tenantId, `test-offboard-${tenantId}`);
}
