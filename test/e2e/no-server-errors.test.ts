import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { activateTenant } from '../support/active-tenant.js';
import { enrolledDevice, deviceHeaders } from '../support/devices.js';
import { useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

/** Bodies a careless or hostile client sends: wrong JSON types, deep nesting, huge numbers, wrong fields. */
const HOSTILE_BODIES: readonly (string | undefined)[] = [
  undefined,
  '',
  'null',
  '[]',
  '"text"',
  '12345678901234567890',
  '{}',
  '{"protectedSecret":123}',
  '{"protectedSecret":"a.b.c.d.e"}',
  '{"pinComplexity":{"pinMinimumLength":1e308}}',
  '{"pinComplexity":null}',
  '{"actionState":"done","errorCode":{"x":1}}',
  '{"deviceKey":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"},"deviceName":"x","azureADDeviceId":"00000000-0000-4000-8000-000000000001","joinType":"azureADJoined","operatingSystem":"Windows","osVersion":"10"}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"__proto__":{"polluted":true}}',
];

/** Path parameter values that are not what the route expects. */
const HOSTILE_SEGMENTS = ['x', '00000000-0000-4000-8000-000000000000', "'%3Cscript%3E'", '..%2F..%2Fetc', 'a'.repeat(300), '%E2%82%AC%20%00'];

function pathsFor(route: string, tenantId: string): string[] {
  if (route.includes('{*')) return ['/no/such/route'];
  return HOSTILE_SEGMENTS.flatMap((segment) => {
    const withHostile = `/${route.replace(/\{(\w+)\}/g, segment)}`;
    const withOwnTenant = `/${route.replace('{tid}', tenantId).replace(/\{(\w+)\}/g, segment)}`;
    return withHostile === withOwnTenant ? [withHostile] : [withHostile, withOwnTenant];
  });
}

describe('no client input produces a server error', () => {
  it('answers every route, method, path parameter and hostile body with a status below 500 and a Graph envelope for errors', async () => {
    const tid = await activateTenant();
    const { client } = await enrolledDevice(tid);
    const admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator], amr: ['pwd', 'mfa'] }));
    const failures: string[] = [];
    let requests = 0;
    for (const route of ROUTES) {
      if (route.route.startsWith('dev/login')) continue; // HTML pages; covered by the onboarding tests
      for (const method of Object.keys(route.methods)) {
        for (const path of pathsFor(route.route, tid)) {
          for (const body of method === 'GET' || method === 'DELETE' ? [undefined] : HOSTILE_BODIES) {
            const authorization = route.route.startsWith('v1.0/devices/') ? await deviceHeaders(client) : admin;
            const response = await host.request(method === 'GET' ? `${path}?$top=5` : path, {
              method,
              headers: { ...authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
              body,
            });
            requests += 1;
            const text = await response.text();
            if (response.status >= 500) failures.push(`${method} ${path} ${body?.slice(0, 40) ?? ''} → ${response.status} ${text.slice(0, 200)}`);
            else if (response.status >= 400 && !/^\{"error":\{"code":"[A-Za-z_]+","message":"/.test(text) && !text.startsWith('<!doctype html>')) {
              failures.push(`${method} ${path} → ${response.status} without the error envelope: ${text.slice(0, 120)}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 240_000);
});
