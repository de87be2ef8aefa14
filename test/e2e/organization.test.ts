import { describe, expect, it } from 'vitest';
import type { GraphErrorEnvelope } from '../../cli/client/types.js';
import { jsonOf, useLocalHost } from '../support/local-host.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, randomTenantId, userToken } from '../support/tokens.js';

const host = useLocalHost();
useSimulatedMicrosoft();

describe('GET /v1.0/organization over HTTP', () => {
  it("answers exactly the id of the caller's tenant with $select=id, before onboarding", async () => {
    const tid = randomTenantId();
    const response = await host.request('/v1.0/organization?$select=id', { headers: bearer(await userToken({ tid })) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`{"@odata.context":"${host.url}/v1.0/$metadata#organization(id)","value":[{"id":"${tid}"}]}`);
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('client-request-id')).toBe(response.headers.get('request-id'));
    expect(response.headers.get('odata-version')).toBe('4.0');
  });

  it('returns null for the properties onboarding has not read yet', async () => {
    const tid = randomTenantId();
    const response = await host.request('/v1.0/organization', { headers: bearer(await userToken({ tid })) });
    expect(await response.json()).toEqual({
      '@odata.context': `${host.url}/v1.0/$metadata#organization`,
      value: [{ id: tid, displayName: null, verifiedDomains: null, tenantType: null, createdDateTime: null }],
    });
  });

  it('echoes client-request-id', async () => {
    const response = await host.request('/v1.0/organization?$select=id', {
      headers: { ...bearer(await userToken({ tid: randomTenantId() })), 'client-request-id': 'my-correlation-42' },
    });
    expect(response.headers.get('client-request-id')).toBe('my-correlation-42');
    expect(response.headers.get('request-id')).not.toBe('my-correlation-42');
  });

  it('refuses an unknown $select property with Request_BadRequest naming it', async () => {
    const response = await host.request('/v1.0/organization?$select=foo', { headers: bearer(await userToken({ tid: randomTenantId() })) });
    expect(response.status).toBe(400);
    const body = await jsonOf<GraphErrorEnvelope>(response);
    expect(body.error.code).toBe('Request_BadRequest');
    expect(body.error.message).toBe("Could not find a property named 'foo' on type 'Microsoft.DirectoryServices.Organization'.");
    expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
  });

  it('refuses an option the route does not support instead of ignoring it', async () => {
    const response = await host.request('/v1.0/organization?$expand=x', { headers: bearer(await userToken({ tid: randomTenantId() })) });
    expect(response.status).toBe(400);
    expect((await jsonOf<GraphErrorEnvelope>(response)).error.code).toBe('Request_BadRequest');
  });

  it('answers the entity by id with the $entity context, and 404 for another tenant', async () => {
    const tid = randomTenantId();
    const token = await userToken({ tid });
    const own = await host.request(`/v1.0/organization/${tid}?$select=id,displayName`, { headers: bearer(token) });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ '@odata.context': `${host.url}/v1.0/$metadata#organization(id,displayName)/$entity`, id: tid, displayName: null });
    const other = await host.request(`/v1.0/organization/${randomTenantId()}`, { headers: bearer(token) });
    expect(other.status).toBe(404);
    expect((await jsonOf<GraphErrorEnvelope>(other)).error.code).toBe('Request_ResourceNotFound');
  });

  it('asks for a token with WWW-Authenticate when none is sent', async () => {
    const response = await host.request('/v1.0/organization');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await jsonOf<GraphErrorEnvelope>(response)).error.code).toBe('InvalidAuthenticationToken');
  });
});
