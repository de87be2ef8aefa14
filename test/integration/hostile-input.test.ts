import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS, getConfig } from '../../shared/config.js';
import { Services, setServices } from '../../shared/wiring.js';
import { activateTenant } from '../support/active-tenant.js';
import { DeviceClient } from '../support/device-client.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
beforeEach(() => setServices(new Services(getConfig())));

const base64url = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');

describe('device-supplied strings', () => {
  for (const [field, value] of [
    ['deviceName', 'DESKTOP\u2028NEXT'],
    ['deviceName', 'DESKTOP\u2029'],
    ['deviceName', 'bell\u0007'],
    ['deviceName', 'c1\u0085'],
    ['operatingSystem', 'Windows\ud800'],
    ['osVersion', '\udc0010.0'],
  ] as const) {
    it(`refuses ${JSON.stringify(value)} in ${field} with a 400 naming the field, never a 503 to retry`, async () => {
      const tid = await activateTenant();
      const client = await DeviceClient.create();
      const response = await invoke('POST', '/v1.0/me/managedDevices', {
        headers: bearer(await userToken({ tid, oid: randomUUID() })),
        body: { ...client.enrollment({}), [field]: value },
      });
      expect(response.status).toBe(400);
      expect(response.json().error.code).toBe('BadRequest');
      expect(response.json().error.message).toContain(`'${field}'`);
    });
  }

  it('still accepts names with emoji, accents and inner spaces', async () => {
    const tid = await activateTenant();
    const client = await DeviceClient.create();
    const response = await invoke('POST', '/v1.0/me/managedDevices', {
      headers: bearer(await userToken({ tid, oid: randomUUID() })),
      body: client.enrollment({ deviceName: 'Zoë’s laptop 💻' }),
    });
    expect(response.status).toBe(201);
    expect(response.json().deviceName).toBe('Zoë’s laptop 💻');
  });
});

describe('$skiptoken', () => {
  const forged = [
    ['a continuation with a lone surrogate', base64url(JSON.stringify({ c: base64(JSON.stringify({ nextPartitionKey: '\ud800', nextRowKey: 'x' })) }))],
    [
      'a continuation with a lone low surrogate in the row key',
      base64url(JSON.stringify({ c: base64(JSON.stringify({ nextPartitionKey: 'p', nextRowKey: 'a\udc00' })) })),
    ],
    ['a continuation with unexpected keys', base64url(JSON.stringify({ c: base64(JSON.stringify({ nextPartitionKey: 'p', other: 1 })) }))],
    ['an outer token with a lone surrogate', base64url(JSON.stringify({ c: '\ud800' }))],
    ['an outer token with extra keys', base64url(JSON.stringify({ c: 'abc', d: 1 }))],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]).toString('base64url')],
  ] as const;
  for (const route of ['/v1.0/deviceManagement/managedDevices', '/v1.0/auditLogs/pinResetEvents']) {
    for (const [what, token] of forged) {
      it(`is 400 Request_BadRequest on ${route} for ${what}`, async () => {
        const tid = await activateTenant();
        const admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }));
        const response = await invoke('GET', `${route}?$skiptoken=${token}`, { headers: admin });
        expect(response.status).toBe(400);
        expect(response.json().error).toMatchObject({ code: 'Request_BadRequest', message: 'Invalid $skiptoken value.' });
      });
    }
  }
});

describe('$skiptoken issued elsewhere', () => {
  /** The `$skiptoken` of a page's `@odata.nextLink`. */
  const skiptokenOf = (page: { json(): { '@odata.nextLink'?: string } }): string => {
    const token = new URL(page.json()['@odata.nextLink'] ?? 'http://none/').searchParams.get('$skiptoken');
    expect(token, 'the first page has a nextLink').toBeTruthy();
    return token ?? '';
  };

  it('is 400 Request_BadRequest on another route or in another tenant, never a page that starts somewhere else', async () => {
    const tid = await activateTenant();
    const other = await activateTenant();
    for (const tenant of [tid, tid, other, other]) {
      const client = await DeviceClient.create();
      const enrolled = await invoke('POST', '/v1.0/me/managedDevices', {
        headers: bearer(await userToken({ tid: tenant, oid: randomUUID() })),
        body: client.enrollment({}),
      });
      expect(enrolled.status).toBe(201);
    }
    const admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }));
    const otherAdmin = bearer(await userToken({ tid: other, wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }));
    const devices = '/v1.0/deviceManagement/managedDevices';
    const audit = '/v1.0/auditLogs/pinResetEvents';
    const devicesToken = skiptokenOf(await invoke('GET', `${devices}?$top=1`, { headers: admin }));
    const auditToken = skiptokenOf(await invoke('GET', `${audit}?$top=1`, { headers: admin }));

    // Where they were issued, they page on.
    expect((await invoke('GET', `${devices}?$top=1&$skiptoken=${devicesToken}`, { headers: admin })).status).toBe(200);
    expect((await invoke('GET', `${audit}?$top=1&$skiptoken=${auditToken}`, { headers: admin })).status).toBe(200);

    for (const [what, path, headers] of [
      ["the audit log's token on the device list", `${devices}?$top=1&$skiptoken=${auditToken}`, admin],
      ["the device list's token on the audit log", `${audit}?$top=1&$skiptoken=${devicesToken}`, admin],
      ["another tenant's device list token", `${devices}?$top=1&$skiptoken=${devicesToken}`, otherAdmin],
      ["another tenant's audit token", `${audit}?$top=1&$skiptoken=${auditToken}`, otherAdmin],
    ] as const) {
      const response = await invoke('GET', path, { headers });
      expect(response.status, what).toBe(400);
      expect(response.json().error, what).toMatchObject({ code: 'Request_BadRequest', message: 'Invalid $skiptoken value.' });
    }
  });
});

describe('OData options without the $ prefix on Graph routes', () => {
  it('are the options themselves (Graph makes the prefix optional), so an unknown property or a bad $top is 400, never ignored', async () => {
    const tid = await activateTenant();
    const admin = bearer(await userToken({ tid, wids: [ROLE_TEMPLATE_IDS.globalAdministrator] }));
    const selected = await invoke('GET', '/v1.0/organization?select=id', { headers: admin });
    expect(selected.status).toBe(200);
    expect(selected.json()).toEqual({ '@odata.context': `${getConfig().publicBaseUrl}/v1.0/$metadata#organization(id)`, value: [{ id: tid }] });
    for (const path of [
      '/v1.0/organization?select=foo',
      '/v1.0/deviceManagement/managedDevices?top=0',
      '/v1.0/auditLogs/pinResetEvents?orderby=activityDateTime',
      `/v1.0/organization/${tid}/pinResetSettings?select=cloud`,
    ]) {
      const response = await invoke('GET', path, { headers: admin });
      expect(response.status, path).toBe(400);
      expect(response.json().error.code, path).toBe('Request_BadRequest');
    }
    // Other plain parameters are not OData options: Graph ignores them, and so does the service.
    expect((await invoke('GET', '/v1.0/organization?foo=bar', { headers: admin })).status).toBe(200);
  });
});
