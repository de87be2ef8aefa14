import { describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { invoke } from '../support/invoke.js';
import { randomTenantId } from '../support/tokens.js';

function consentPath(tenant: string): string {
  const config = getConfig();
  const query = new URLSearchParams({
    client_id: config.serviceAppId,
    redirect_uri: `${config.publicBaseUrl}/onboarding/callback`,
    state: 'csrf-test',
    scope: `${config.serviceAppIdUri}/.default`,
  });
  return `/dev/login/${tenant}/v2.0/adminconsent?${query}`;
}

async function submit(headers: Record<string, string>) {
  return invoke('POST', consentPath(randomTenantId()), {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'decision=accept',
  });
}

describe('the development consent form', () => {
  it("refuses a submission from another site (Origin or Sec-Fetch-Site), so a web page cannot consent on the developer's behalf", async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }] as Record<
      string,
      string
    >[]) {
      const response = await submit(headers);
      expect(response.status).toBe(403);
      expect(response.json().error.code).toBe('Authorization_RequestDenied');
    }
  });

  it('accepts a submission from its own page (same origin, or a client that sends neither header)', async () => {
    for (const headers of [{ origin: new URL(getConfig().publicBaseUrl).origin, 'sec-fetch-site': 'same-origin' }, {}] as Record<string, string>[]) {
      const response = await submit(headers);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toContain('admin_consent=True');
    }
  });
});
