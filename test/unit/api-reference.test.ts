import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { renderApiReference } from '../../scripts/api-reference.js';

describe('docs/api.md', () => {
  it('is the reference the route table renders today (run npm run docs:api after changing a route or a contract)', async () => {
    const committed = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderApiReference(ROUTES));
  });

  it('gives every route its permissions, responses, errors and an example', () => {
    const reference = renderApiReference(ROUTES);
    const sections = reference.split('\n### ').filter((section) => /^(GET|POST|PATCH|PUT|DELETE) \//.test(section));
    expect(sections.length).toBeGreaterThan(20);
    for (const section of sections) {
      const title = section.split('\n')[0];
      expect(section, title).toContain('**Permissions:**');
      expect(section, title).toContain('**Responses:**');
      expect(section, title).toContain('**Errors**');
      expect(section, title).toContain('**Example**');
    }
    expect(reference).toContain('### POST /v1.0/deviceManagement/managedDevices/{id}/resetPasscode');
    expect(reference).toContain('`Idempotency-Key`');
  });
});
