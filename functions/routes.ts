import type { RouteDefinition } from '../shared/http/route-table.js';
import { auditLogRoutes } from './audit-logs.js';
import { clientPolicyRoutes } from './client-policy.js';
import { devConsentRoutes } from './dev-consent.js';
import { devLoginRoutes } from './dev-login.js';
import { devRoutes } from './dev.js';
import { deviceRoutes } from './devices.js';
import { healthRoutes } from './health.js';
import { managedDeviceRoutes } from './managed-devices.js';
import { notFoundRoutes } from './not-found.js';
import { openApiRoutes } from './openapi.js';
import { onboardingRoutes } from './onboarding.js';
import { organizationRoutes } from './organization.js';
import { portalRoutes } from './portal.js';
import { protectorDecryptRoutes } from './protector-decrypt.js';
import { protectorKeyRoutes } from './protector-keys.js';
import { settingsRoutes } from './settings.js';
import { signInConfigurationRoutes } from './signin-configuration.js';

/**
 * The one route table. `functions/index.ts` registers it with the Functions host; the local host
 * (scripts/local-host.ts) serves the very same table. Add a feature's routes here.
 */
export const ROUTES: readonly RouteDefinition[] = [
  ...healthRoutes,
  ...openApiRoutes,
  ...organizationRoutes,
  ...protectorKeyRoutes,
  ...protectorDecryptRoutes,
  ...deviceRoutes,
  ...managedDeviceRoutes,
  ...onboardingRoutes,
  ...signInConfigurationRoutes,
  ...settingsRoutes,
  ...clientPolicyRoutes,
  ...auditLogRoutes,
  ...portalRoutes,
  ...devRoutes,
  ...devConsentRoutes,
  ...devLoginRoutes,
  // Keep last: the catch-all 404.
  ...notFoundRoutes,
];
