import { SERVICE_INITIATOR } from '../domain/audit.js';
import type { TenantLifecycleListener } from './tenant-lifecycle.js';
import type { ProtectorKeyService } from './protector-keys.js';

/** Onboarding's hook: the first key on activation (create-once), every key row destroyed on offboarding. */
export function protectorKeyLifecycleListener(keys: () => ProtectorKeyService): TenantLifecycleListener {
  return {
    name: 'protectorKeys',
    async onTenantActivated(tenantId, correlationId) {
      await keys().ensureCurrentKey(tenantId, { initiatedBy: SERVICE_INITIATOR, correlationId });
    },
    async onTenantOffboarded(tenantId) {
      await keys().destroyTenantKeys(tenantId);
    },
  };
}
