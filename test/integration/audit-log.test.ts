import { afterEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { getServices, Services, setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, randomTenantId, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
afterEach(() => setServices(undefined));

/** Records `count` events one second apart, starting at `start`; answers their ids oldest first. */
async function seed(
  tid: string,
  count: number,
  start = Date.parse('2025-03-01T10:00:00Z'),
  activity: 'settingsUpdated' | 'onboardingStarted' = 'settingsUpdated',
) {
  let tick = 0;
  setServices(new Services(getConfig(), { clock: () => new Date(start + tick * 1000) }));
  const ids: string[] = [];
  for (; tick < count; tick += 1) {
    const event = await getServices().audit.record({
      tenantId: tid,
      activity,
      result: 'success',
      resultReason: `event ${tick}`,
      initiatedBy: { user: { id: 'admin-1' } },
      targetResources: [{ id: tid, type: 'organization' }],
      correlationId: `corr-${tick}`,
    });
    ids.push(event.id);
  }
  setServices(undefined);
  return ids;
}

async function get(tid: string, path: string) {
  return invoke('GET', path, { headers: bearer(await adminToken(tid)) });
}

describe('GET /v1.0/auditLogs/pinResetEvents', () => {
  it('pages newest first across more than one page by @odata.nextLink, without tenantId', async () => {
    const tid = randomTenantId();
    const ids = await seed(tid, 5);
    const seen: { id: string; activityDateTime: string }[] = [];
    let next: string | undefined = '/v1.0/auditLogs/pinResetEvents?$top=2';
    let pages = 0;
    while (next) {
      const response = await get(tid, next);
      expect(response.status).toBe(200);
      const body = response.json();
      pages += 1;
      if (pages === 1) expect(body['@odata.context']).toBe(`${getConfig().publicBaseUrl}/v1.0/$metadata#auditLogs/pinResetEvents`);
      expect(body.value.length).toBeLessThanOrEqual(2);
      for (const event of body.value) expect(event).not.toHaveProperty('tenantId');
      seen.push(...body.value);
      expect(body['@odata.nextLink'] === null).toBe(false);
      next = body['@odata.nextLink'];
      if (next) {
        expect(next.startsWith(`${getConfig().publicBaseUrl}/v1.0/auditLogs/pinResetEvents?`)).toBe(true);
        expect(new URL(next).searchParams.get('$top')).toBe('2');
      }
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.map((event) => event.id)).toEqual([...ids].reverse());
    expect(seen[0]).toEqual({
      id: ids[4],
      activityDateTime: '2025-03-01T10:00:04.000Z',
      activity: 'settingsUpdated',
      result: 'success',
      resultReason: 'event 4',
      initiatedBy: { user: { id: 'admin-1' } },
      targetResources: [{ id: tid, type: 'organization' }],
      correlationId: 'corr-4',
    });
  });

  it('filters on activityDateTime ge and activity eq', async () => {
    const tid = randomTenantId();
    await seed(tid, 4, Date.parse('2025-03-01T10:00:00Z'));
    await seed(tid, 2, Date.parse('2025-03-02T10:00:00Z'), 'onboardingStarted');
    const since = await get(tid, '/v1.0/auditLogs/pinResetEvents?$filter=activityDateTime ge 2025-03-01T10:00:02Z');
    expect(since.json().value.map((event: { resultReason: string }) => event.resultReason)).toEqual(['event 1', 'event 0', 'event 3', 'event 2']);
    const activity = await get(tid, "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'onboardingStarted'");
    expect(activity.json().value).toHaveLength(2);
    const both = await get(tid, "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'settingsUpdated' and activityDateTime ge 2025-03-01T10:00:03Z");
    expect(both.json().value.map((event: { resultReason: string }) => event.resultReason)).toEqual(['event 3']);
  });

  it('counts every event as at or after a date before 1970, the earliest a date-time literal can name', async () => {
    const tid = randomTenantId();
    await seed(tid, 3);
    for (const since of ['1969-12-31T23:59:59Z', '1900-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '0000-01-01T00:00:00Z']) {
      const response = await get(tid, `/v1.0/auditLogs/pinResetEvents?$filter=activityDateTime ge ${since}`);
      expect(response.status, since).toBe(200);
      expect(
        response.json().value.map((event: { resultReason: string }) => event.resultReason),
        since,
      ).toEqual(['event 2', 'event 1', 'event 0']);
    }
  });

  it('refuses a date the calendar does not have, instead of rolling it over into the next month', async () => {
    const tid = randomTenantId();
    for (const since of ['2025-02-29T00:00:00Z', '2025-04-31', '2024-02-30T10:00:00+02:00']) {
      const response = await get(tid, `/v1.0/auditLogs/pinResetEvents?$filter=${encodeURIComponent(`activityDateTime ge ${since}`)}`);
      expect(response.status, since).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'Request_BadRequest', message: expect.stringContaining(`Invalid date-time '${since}'`) });
    }
    // Leap days exist in leap years.
    expect((await get(tid, '/v1.0/auditLogs/pinResetEvents?$filter=activityDateTime ge 2024-02-29T00:00:00Z')).status).toBe(200);
  });

  it("never shows another tenant's events", async () => {
    const tid = randomTenantId();
    const other = randomTenantId();
    await seed(other, 3);
    const response = await get(tid, '/v1.0/auditLogs/pinResetEvents');
    expect(response.status).toBe(200);
    expect(response.json().value).toEqual([]);
    expect(response.json()).not.toHaveProperty('@odata.nextLink');
  });

  it('refuses a forged $skiptoken, unsupported operators and options with Request_BadRequest', async () => {
    const tid = randomTenantId();
    const wrappedGarbage = Buffer.from(JSON.stringify({ c: 'garbage' })).toString('base64url');
    const wrappedForeignToken = Buffer.from(JSON.stringify({ c: Buffer.from('{"other":1}').toString('base64') })).toString('base64url');
    for (const query of [
      '$skiptoken=not-a-token',
      `$skiptoken=${wrappedGarbage}`,
      `$skiptoken=${wrappedForeignToken}`,
      "$filter=activity ne 'x'",
      '$orderby=activity',
      "$filter=correlationId eq 'x'",
    ]) {
      const response = await get(tid, `/v1.0/auditLogs/pinResetEvents?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.json().error.code).toBe('Request_BadRequest');
    }
  });

  it('answers 403 to a non-admin', async () => {
    const tid = randomTenantId();
    const response = await invoke('GET', '/v1.0/auditLogs/pinResetEvents', { headers: bearer(await userToken({ tid })) });
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('Authorization_RequestDenied');
  });
});
