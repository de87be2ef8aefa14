import { describe, expect, it } from 'vitest';
import type { OmaSetting } from '../../cli/client/types.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { adminToken, bearer, randomTenantId, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();

const INT32_MAX = 2_147_483_647;

/** Graph's omaSetting shapes: exactly these properties, the value typed as the @odata.type says. */
function expectGraphOmaSetting(setting: Record<string, unknown>) {
  expect(Object.keys(setting).sort()).toEqual(['@odata.type', 'description', 'displayName', 'omaUri', 'value']);
  expect(typeof setting.displayName).toBe('string');
  expect((setting.displayName as string).length).toBeGreaterThan(0);
  expect(typeof setting.description).toBe('string');
  expect(setting.omaUri).toMatch(/^\.\//);
  switch (setting['@odata.type']) {
    case '#microsoft.graph.omaSettingBoolean':
      expect(typeof setting.value).toBe('boolean');
      break;
    case '#microsoft.graph.omaSettingInteger':
      expect(Number.isInteger(setting.value) && (setting.value as number) >= 0 && (setting.value as number) <= INT32_MAX).toBe(true);
      break;
    case '#microsoft.graph.omaSettingString':
      expect(typeof setting.value).toBe('string');
      break;
    default:
      throw new Error(`not an omaSetting type: ${String(setting['@odata.type'])}`);
  }
}

async function policy(tid: string) {
  const response = await invoke('GET', `/v1.0/organization/${tid}/pinRecoveryPolicy`, { headers: bearer(await adminToken(tid)) });
  expect(response.status).toBe(200);
  return response.json();
}

function setting(body: { omaSettings: OmaSetting[] }, omaUri: string) {
  const found = body.omaSettings.find((entry) => entry.omaUri === omaUri);
  if (!found) throw new Error(`no setting ${omaUri}`);
  return found;
}

describe('GET /v1.0/organization/{tid}/pinRecoveryPolicy', () => {
  it('answers a windows10CustomConfiguration that can be POSTed unchanged, checked field by field', async () => {
    const tid = randomTenantId();
    const body = await policy(tid);
    expect(Object.keys(body).sort()).toEqual(['@odata.type', 'description', 'displayName', 'omaSettings']);
    expect(body['@odata.type']).toBe('#microsoft.graph.windows10CustomConfiguration');
    expect(body.displayName).toContain(tid);
    expect(body.description.length).toBeLessThanOrEqual(1000);
    expect(body.description).toContain('Windows Hello for Business > Use PIN Recovery');
    // What the profile does, as the README says: Windows' own PIN recovery; it points nothing at this service.
    expect(body.description).toContain("Turns on Windows Hello for Business PIN recovery (Windows' own, with Microsoft's PIN reset service)");
    expect(body.description).toContain('It does not point devices or agents at the self-hosted PIN reset service.');
    for (const entry of body.omaSettings) expectGraphOmaSetting(entry);

    const base = `./Device/Vendor/MSFT/PassportForWork/${tid}/Policies`;
    expect(setting(body, `${base}/EnablePinRecovery`)).toMatchObject({ '@odata.type': '#microsoft.graph.omaSettingBoolean', value: true });
    const expectInteger = (node: string, value: number) =>
      expect(setting(body, `${base}/PINComplexity/${node}`)).toMatchObject({ '@odata.type': '#microsoft.graph.omaSettingInteger', value });
    expectInteger('MinimumPINLength', 6);
    expectInteger('MaximumPINLength', 127);
    expectInteger('UppercaseLetters', 2);
    expectInteger('LowercaseLetters', 2);
    expectInteger('SpecialCharacters', 2);
    expectInteger('Digits', 1);
    expect(body.omaSettings).toHaveLength(7);
    expect(body.omaSettings.some((entry: { omaUri: string }) => entry.omaUri.includes('ConfigureWebSignInAllowedUrls'))).toBe(false);
    expect(setting(body, `${base}/EnablePinRecovery`).description).toContain('Group Policy');
  });

  it('follows the settings: complexity values 0/1/2 and ConfigureWebSignInAllowedUrls with the US Government host', async () => {
    const tid = randomTenantId();
    const patch = await invoke('PATCH', `/v1.0/organization/${tid}/pinResetSettings`, {
      headers: bearer(await adminToken(tid)),
      body: {
        cloud: 'usGovernment',
        webSignInAllowedUrls: ['signin.contoso.com', 'portal.contoso.com'],
        pinComplexity: { pinMinimumLength: 7, pinMaximumLength: 20, pinUppercaseCharactersUsage: 'allowed', pinSpecialCharactersUsage: 'required' },
      },
    });
    expect(patch.status).toBe(200);
    const body = await policy(tid);
    for (const entry of body.omaSettings) expectGraphOmaSetting(entry);
    const base = `./Device/Vendor/MSFT/PassportForWork/${tid}/Policies/PINComplexity`;
    expect(setting(body, `${base}/MinimumPINLength`)).toMatchObject({ value: 7 });
    expect(setting(body, `${base}/MaximumPINLength`)).toMatchObject({ value: 20 });
    expect(setting(body, `${base}/UppercaseLetters`)).toMatchObject({ value: 0 });
    expect(setting(body, `${base}/SpecialCharacters`)).toMatchObject({ value: 1 });
    expect(setting(body, './Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls')).toEqual({
      '@odata.type': '#microsoft.graph.omaSettingString',
      displayName: 'Web sign-in allowed URLs',
      description: expect.stringContaining('no Group Policy equivalent'),
      omaUri: './Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls',
      value: 'signin.contoso.com;portal.contoso.com;login.microsoftonline.us',
    });
    expect(body.description.length).toBeLessThanOrEqual(1000);
  });

  it("answers 404 to another tenant's admin and 403 to a non-admin", async () => {
    const tid = randomTenantId();
    expect((await invoke('GET', `/v1.0/organization/${tid}/pinRecoveryPolicy`, { headers: bearer(await adminToken(randomTenantId())) })).status).toBe(404);
    expect((await invoke('GET', `/v1.0/organization/${tid}/pinRecoveryPolicy`, { headers: bearer(await userToken({ tid })) })).status).toBe(403);
  });
});
