import type { HttpHandler } from '@azure/functions';
import type { RouteDefinition, RouteHandler } from '../shared/http/route-table.js';

/**
 * The route table's cheap half: each route's function name and template, in registration order,
 * grouped by the module that defines its operations. `functions/index.ts` registers these with the
 * Functions host without loading any operation, contract schema or zod (cold start: no work at
 * import time); a route's module is loaded on its first request. `loadRoutes()` (routes.ts) loads
 * every module and checks that each one defines exactly the routes listed here, so the two cannot drift.
 */
interface RouteArea {
  load: () => Promise<readonly RouteDefinition[]>;
  /** Function name → route template, in the order the module lists them. */
  routes: Readonly<Record<string, string>>;
}

const ROUTE_AREAS: readonly RouteArea[] = [
  { load: async () => (await import('./health.js')).healthRoutes, routes: { health: 'health' } },
  { load: async () => (await import('./openapi.js')).openApiRoutes, routes: { openapi: 'openapi.json' } },
  {
    load: async () => (await import('./organization.js')).organizationRoutes,
    routes: { organization: 'v1.0/organization', organizationById: 'v1.0/organization/{id}' },
  },
  {
    load: async () => (await import('./protector-keys.js')).protectorKeyRoutes,
    routes: {
      pinResetProtectorKeys: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys',
      pinResetProtectorKeyVersions: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/versions',
      pinResetProtectorKeysRotate: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/rotate',
      pinResetProtectorKeyRetire: 'v1.0/organization/{tid:guid}/pinResetProtectorKeys/versions/{kid}/retire',
    },
  },
  {
    load: async () => (await import('./protector-decrypt.js')).protectorDecryptRoutes,
    routes: { pinResetProtectorDecrypt: 'v1.0/me/pinResetProtector/decrypt', unprotectSecret: 'unprotectsecret/v1' },
  },
  {
    load: async () => (await import('./devices.js')).deviceRoutes,
    routes: {
      meManagedDevices: 'v1.0/me/managedDevices',
      deviceStatus: 'v1.0/devices/{id:guid}/status',
      deviceActionResults: 'v1.0/devices/{id:guid}/deviceActionResults',
      devicePendingActions: 'v1.0/devices/{id:guid}/pendingActions',
      devicePendingActionResult: 'v1.0/devices/{id:guid}/pendingActions/{actionId:guid}/result',
    },
  },
  {
    load: async () => (await import('./managed-devices.js')).managedDeviceRoutes,
    routes: {
      managedDevices: 'v1.0/deviceManagement/managedDevices',
      managedDeviceById: 'v1.0/deviceManagement/managedDevices/{id:guid}',
      managedDeviceActionResults: 'v1.0/deviceManagement/managedDevices/{id:guid}/deviceActionResults',
      managedDeviceResetPasscode: 'v1.0/deviceManagement/managedDevices/{id:guid}/resetPasscode',
      managedDeviceActionCancel: 'v1.0/deviceManagement/managedDevices/{id:guid}/deviceActionResults/{actionId:guid}/cancel',
    },
  },
  {
    load: async () => (await import('./onboarding.js')).onboardingRoutes,
    routes: {
      onboardingStart: 'onboarding/start',
      onboardingSignIn: 'onboarding/signin',
      onboardingCallback: 'onboarding/callback',
      pinResetOnboarding: 'v1.0/organization/{tid:guid}/pinResetOnboarding',
      pinResetOnboardingVerify: 'v1.0/organization/{tid:guid}/pinResetOnboarding/verify',
    },
  },
  { load: async () => (await import('./signin-configuration.js')).signInConfigurationRoutes, routes: { signInConfiguration: 'signin-configuration' } },
  { load: async () => (await import('./settings.js')).settingsRoutes, routes: { pinResetSettings: 'v1.0/organization/{tid:guid}/pinResetSettings' } },
  {
    load: async () => (await import('./client-policy.js')).clientPolicyRoutes,
    routes: { pinRecoveryPolicy: 'v1.0/organization/{tid:guid}/pinRecoveryPolicy' },
  },
  { load: async () => (await import('./audit-logs.js')).auditLogRoutes, routes: { pinResetEvents: 'v1.0/auditLogs/pinResetEvents' } },
  { load: async () => (await import('./portal.js')).portalRoutes, routes: { portalRoot: 'portal', portal: 'portal/{*path}' } },
  { load: async () => (await import('./dev.js')).devRoutes, routes: { devToken: 'dev/token', devKeys: 'dev/keys' } },
  { load: async () => (await import('./dev-consent.js')).devConsentRoutes, routes: { devAdminConsent: 'dev/login/{tenant}/v2.0/adminconsent' } },
  {
    load: async () => (await import('./dev-login.js')).devLoginRoutes,
    routes: {
      devLoginDiscovery: 'dev/login/{tenant}/v2.0/.well-known/openid-configuration',
      devLoginKeys: 'dev/login/{tenant}/discovery/v2.0/keys',
      devLoginAuthorize: 'dev/login/{tenant}/oauth2/v2.0/authorize',
      devLoginToken: 'dev/login/{tenant}/oauth2/v2.0/token',
      devLoginDeviceCode: 'dev/login/{tenant}/oauth2/v2.0/devicecode',
      devLoginDeviceLogin: 'dev/login/devicelogin',
    },
  },
  // Keep last: the catch-all 404.
  { load: async () => (await import('./not-found.js')).notFoundRoutes, routes: { notFound: '{*path}' } },
];

/** One route as registered at import time: its name, its template and how to load its definition. */
export interface RouteManifestEntry {
  name: string;
  route: string;
  load: () => Promise<RouteDefinition>;
}

const areaDefinitions = new Map<RouteArea, Promise<readonly RouteDefinition[]>>();

/** Loads an area's module once and checks it defines exactly the routes the manifest lists, in order. */
function loadArea(area: RouteArea): Promise<readonly RouteDefinition[]> {
  let loaded = areaDefinitions.get(area);
  if (!loaded) {
    loaded = area.load().then((definitions) => {
      const listed = Object.entries(area.routes).map(([name, route]) => `${name} ${route}`);
      const defined = definitions.map((definition) => `${definition.name} ${definition.route}`);
      if (listed.join('\n') !== defined.join('\n')) {
        throw new Error(`functions/route-manifest.ts lists [${listed.join(', ')}] but the module defines [${defined.join(', ')}]`);
      }
      return definitions;
    });
    areaDefinitions.set(area, loaded);
  }
  return loaded;
}

export const ROUTE_MANIFEST: readonly RouteManifestEntry[] = ROUTE_AREAS.flatMap((area) =>
  Object.entries(area.routes).map(([name, route]) => ({
    name,
    route,
    load: async () => (await loadArea(area)).find((definition) => definition.name === name)!,
  })),
);

/** Every route definition, operations included, in registration order (routes.ts, the OpenAPI and docs generators). */
export async function loadRouteDefinitions(): Promise<readonly RouteDefinition[]> {
  return (await Promise.all(ROUTE_AREAS.map(loadArea))).flat();
}

/** A Functions handler that loads its route's module and the request pipeline on the first request, then reuses them. */
export function lazyRouteHandler(entry: RouteManifestEntry): HttpHandler {
  let handler: Promise<RouteHandler> | undefined;
  return async (request, context) => {
    handler ??= Promise.all([entry.load(), import('../shared/http/pipeline.js')]).then(([definition, { createRouteHandler }]) =>
      createRouteHandler(definition),
    );
    return (await handler)(request, context);
  };
}
