import { describe, expect, it } from 'vitest';
import { problemPage, successPage } from '../../shared/http/onboarding-pages.js';

const app = (displayName: string, appId: string, servicePrincipalId: string) => ({
  appId,
  displayName,
  consented: true,
  servicePrincipalId,
  consentedDateTime: '2026-12-01T00:00:00Z',
});
const success = successPage(
  {
    kind: 'success',
    tenant: {
      tenantId: '00000000-0000-4000-8000-000000000001',
      displayName: 'Contoso',
      serviceApplication: app('PIN reset service', '5f0b4c2a-7a1e-4c43-9d36-000000000001', '3f1d6c0e-1111-4c43-9d36-0a1b2c3d4e5f'),
      clientApplication: app('PIN reset client', '5f0b4c2a-7a1e-4c43-9d36-000000000002', '9a8b7c6d-2222-4c43-9d36-0a1b2c3d4e5f'),
    },
    policyUrl: 'http://localhost:7071/v1.0/organization/00000000-0000-4000-8000-000000000001/pinRecoveryPolicy',
  } as Parameters<typeof successPage>[0],
  'http://localhost:7071',
);

describe('onboarding pages', () => {
  it('put their content in one <main> landmark, the error page too', () => {
    const problem = problemPage(
      { kind: 'problem', status: 400, title: 'Consent was not granted', detail: 'Cancel was pressed.', code: 'ConsentDenied' } as const,
      'http://localhost:7071',
    );
    for (const page of [success, problem]) {
      expect(page.match(/<main>/g)).toHaveLength(1);
      expect(page).toMatch(/<main>\n<h1[\s\S]*<\/main><\/body>/);
    }
  });

  it('stack the id table into labelled lines on a phone (390 px) instead of four columns of GUIDs', () => {
    expect(success).toMatch(/@media \(max-width:40rem\)\{[^@]*table,tbody,tr,td\{display:block\}thead\{display:none\}/);
    expect(success).toContain('td::before{content:attr(data-label) ": "');
    expect(success).toContain('code{background:#f3f3f3;padding:0 .2rem;overflow-wrap:anywhere}');
    // Every cell carries the label of its column, which the narrow layout shows in front of the value.
    const headers = [...success.matchAll(/<th>([^<]+)<\/th>/g)].map((match) => match[1]);
    expect(headers).toEqual(['Application', 'Display name', 'Application (client) id', 'Service principal id']);
    for (const row of success.match(/<tr><td[\s\S]*?<\/tr>/g) ?? []) {
      expect([...row.matchAll(/<td data-label="([^"]+)">/g)].map((match) => match[1])).toEqual(headers);
    }
    expect(success.match(/<tr><td/g)).toHaveLength(2);
  });
});
