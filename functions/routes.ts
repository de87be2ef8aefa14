import type { RouteDefinition } from '../shared/http/route-table.js';
import { loadRouteDefinitions } from './route-manifest.js';

/**
 * The one route table, operations included. Routes are listed in functions/route-manifest.ts (names,
 * templates, order) and defined by their feature modules; `functions/index.ts` registers the manifest
 * with the Functions host and loads a module on its route's first request, the local host
 * (scripts/local-host.ts), the OpenAPI and docs generators and the tests use this full table.
 * Importing this module loads every operation: keep it off the Functions entry's import path.
 */
export const ROUTES: readonly RouteDefinition[] = await loadRouteDefinitions();
