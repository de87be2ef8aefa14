import { describe, expect, it } from 'vitest';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, randomTenantId, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();

const path = (tid: string) => `/v1.0/organization/${tid}/pinResetSettings`;

async function patch(tid: string, body: unknown, headers: Record<string, string> = {}) {
  return invoke('PATCH', path(tid), {
    headers: { ...bearer(await adminToken(tid)), 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function expectFieldError(body: unknown, field: string) {
  const response = await patch(randomTenantId(), body);
  expect(response.status).toBe(400);
  const { error } = response.json();
  expect(error.code).toBe('BadRequest');
  expect(error.message).toContain(`'${field}`);
  return error.message as string;
}

describe('GET|PATCH /v1.0/organization/{tid}/pinResetSettings', () => {
  it('answers the defaults with a quoted ETag before anything was saved', async () => {
    const tid = randomTenantId();
    const response = await invoke('GET', path(tid), { headers: bearer(await adminToken(tid)) });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"defaults"');
    expect(response.json()).toEqual({
      webSignInAllowedUrls: [],
      cloud: 'public',
      pinComplexity: {
        pinMinimumLength: 6,
        pinMaximumLength: 127,
        pinUppercaseCharactersUsage: 'disallowed',
        pinLowercaseCharactersUsage: 'disallowed',
        pinSpecialCharactersUsage: 'disallowed',
        pinDigitsUsage: 'required',
      },
      protectorKeyRotationDays: 365,
    });
  });

  it('merges a patch (nested pinComplexity too), returns the new ETag and audits the changed field names', async () => {
    const tid = randomTenantId();
    const first = await patch(tid, { pinComplexity: { pinMinimumLength: 8 }, webSignInAllowedUrls: ['SignIn.Contoso.com', 'signin.contoso.com'] });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^(W\/)?".+"$/);
    expect(etag).not.toBe('"defaults"');
    const second = await patch(tid, { pinComplexity: { pinUppercaseCharactersUsage: 'allowed' }, cloud: 'usGovernment' }, { 'If-Match': etag! });
    expect(second.status).toBe(200);
    expect(second.json()).toEqual({
      webSignInAllowedUrls: ['signin.contoso.com'],
      cloud: 'usGovernment',
      pinComplexity: {
        pinMinimumLength: 8,
        pinMaximumLength: 127,
        pinUppercaseCharactersUsage: 'allowed',
        pinLowercaseCharactersUsage: 'disallowed',
        pinSpecialCharactersUsage: 'disallowed',
        pinDigitsUsage: 'required',
      },
      protectorKeyRotationDays: 365,
    });
    const read = await invoke('GET', path(tid), { headers: bearer(await adminToken(tid)) });
    expect(read.headers.get('etag')).toBe(second.headers.get('etag'));

    const audit = await invoke('GET', "/v1.0/auditLogs/pinResetEvents?$filter=activity eq 'settingsUpdated'", { headers: bearer(await adminToken(tid)) });
    const events = audit.json().value;
    expect(events).toHaveLength(2);
    expect(events.map((event: { resultReason: string }) => event.resultReason).sort()).toEqual([
      'Changed: cloud, pinComplexity.pinUppercaseCharactersUsage',
      'Changed: webSignInAllowedUrls, pinComplexity.pinMinimumLength',
    ]);
    expect(events[0].initiatedBy.user.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names pinComplexity.pinMinimumLength when it is below 4', async () => {
    await expectFieldError({ pinComplexity: { pinMinimumLength: 3 } }, 'pinComplexity.pinMinimumLength');
  });

  it('names pinComplexity.pinMaximumLength when it is above 127', async () => {
    await expectFieldError({ pinComplexity: { pinMaximumLength: 128 } }, 'pinComplexity.pinMaximumLength');
  });

  it('names pinComplexity.pinMinimumLength when the minimum exceeds the maximum after the merge', async () => {
    const message = await expectFieldError({ pinComplexity: { pinMinimumLength: 20, pinMaximumLength: 10 } }, 'pinComplexity.pinMinimumLength');
    expect(message).toContain('must not be greater than pinMaximumLength');
  });

  it('names pinComplexity when every character class is disallowed', async () => {
    const message = await expectFieldError({ pinComplexity: { pinDigitsUsage: 'disallowed' } }, 'pinComplexity');
    expect(message).toContain('At least one character class');
  });

  it('names the usage field for an unknown usage value', async () => {
    await expectFieldError({ pinComplexity: { pinDigitsUsage: 'sometimes' } }, 'pinComplexity.pinDigitsUsage');
  });

  it('names webSignInAllowedUrls for a URL instead of a host name', async () => {
    await expectFieldError({ webSignInAllowedUrls: ['https://signin.contoso.com/adfs'] }, 'webSignInAllowedUrls');
    await expectFieldError({ webSignInAllowedUrls: ['signin.contoso.com:443'] }, 'webSignInAllowedUrls');
  });

  it('names cloud for a value outside public, usGovernment, china', async () => {
    await expectFieldError({ cloud: 'mars' }, 'cloud');
  });

  it('refuses unknown properties', async () => {
    const response = await patch(randomTenantId(), { pinComplexity: { pinLength: 5 } });
    expect(response.status).toBe(400);
    expect(response.json().error.message).toContain('pinComplexity.pinLength');
  });

  it('answers 412 PreconditionFailed for a stale If-Match and accepts * and the current ETag', async () => {
    const tid = randomTenantId();
    const first = await patch(tid, { protectorKeyRotationDays: 200 }, { 'If-Match': '"defaults"' });
    expect(first.status).toBe(200);
    const stale = await patch(tid, { protectorKeyRotationDays: 100 }, { 'If-Match': '"defaults"' });
    expect(stale.status).toBe(412);
    expect(stale.json().error.code).toBe('PreconditionFailed');
    const current = await patch(tid, { protectorKeyRotationDays: 100 }, { 'If-Match': first.headers.get('etag')! });
    expect(current.status).toBe(200);
    const staleAgain = await patch(tid, { protectorKeyRotationDays: 50 }, { 'If-Match': first.headers.get('etag')! });
    expect(staleAgain.status).toBe(412);
    const any = await patch(tid, { protectorKeyRotationDays: 50 }, { 'If-Match': '*' });
    expect(any.status).toBe(200);
    expect(any.json().protectorKeyRotationDays).toBe(50);
  });

  it('never loses an update when PATCHes race', async () => {
    const tid = randomTenantId();
    const bodies = [
      { cloud: 'china' },
      { webSignInAllowedUrls: ['adfs.contoso.com'] },
      { pinComplexity: { pinMinimumLength: 9 } },
      { pinComplexity: { pinLowercaseCharactersUsage: 'allowed' } },
      { protectorKeyRotationDays: 90 },
    ];
    const responses = await Promise.all(bodies.map((body) => patch(tid, body)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const final = (await invoke('GET', path(tid), { headers: bearer(await adminToken(tid)) })).json();
    expect(final).toMatchObject({
      cloud: 'china',
      webSignInAllowedUrls: ['adfs.contoso.com'],
      pinComplexity: { pinMinimumLength: 9, pinLowercaseCharactersUsage: 'allowed' },
      protectorKeyRotationDays: 90,
    });
  });

  it("answers 404 to another tenant's admin and 403 to a non-admin", async () => {
    const tid = randomTenantId();
    const other = await invoke('GET', path(tid), { headers: bearer(await adminToken(randomTenantId())) });
    expect(other.status).toBe(404);
    const user = await invoke('PATCH', path(tid), { headers: bearer(await userToken({ tid })), body: { cloud: 'china' } });
    expect(user.status).toBe(403);
    expect(user.json().error.code).toBe('Authorization_RequestDenied');
  });

  it('accepts the PinReset.Administrator app role as admin, and no other app role or directory role', async () => {
    const tid = randomTenantId();
    const appRole = await invoke('GET', path(tid), { headers: bearer(await userToken({ tid, roles: ['PinReset.Administrator'] })) });
    expect(appRole.status).toBe(200);
    const otherRole = await invoke('GET', path(tid), { headers: bearer(await userToken({ tid, roles: ['PinReset.Reader'] })) });
    expect(otherRole.status).toBe(403);
    const helpdesk = await invoke('GET', path(tid), { headers: bearer(await userToken({ tid, wids: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'] })) });
    expect(helpdesk.status).toBe(403);
  });
});
