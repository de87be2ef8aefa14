/**
 * Features that keep per-tenant state react to the tenant's lifecycle here: protector keys are
 * created on activation and destroyed on offboarding; pending device actions are canceled.
 * Onboarding calls every listener; a listener that fails makes the step fail (and it is retried).
 * The listeners are registered in shared/wiring.ts.
 */
export interface TenantLifecycleListener {
  readonly name: string;
  onTenantActivated?(tenantId: string, correlationId: string): Promise<void>;
  onTenantOffboarded?(tenantId: string, correlationId: string): Promise<void>;
}
