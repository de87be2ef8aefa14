import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** What a reader sees before scrolling: the README up to its first section. */
const firstScreen = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n## ')[0] ?? '';

describe('README first screen', () => {
  it("says which clients can use the service: not Windows' built-in PIN recovery, but pinreset-agent and agents built on the client library or /openapi.json", () => {
    expect(firstScreen).toMatch(/Windows' built-in PIN recovery[\s\S]*talks only to Microsoft's hosted PIN reset service and cannot be pointed at this one/);
    expect(firstScreen).toMatch(/`pinreset-agent`[\s\S]*reference\s+device agent and device simulator/);
    expect(firstScreen).toMatch(/client library\s+\(`cli\/client\/`\) or on the OpenAPI description at `\/openapi\.json`/);
  });

  it('says what the generated client policy does and does not do for those clients', () => {
    expect(firstScreen).toMatch(/What the generated client policy does for them/);
    expect(firstScreen).toMatch(/It does \*\*not\*\* point Windows or any agent\s+at this service/);
  });

  it('says where it runs: Azure Functions through azd up, and locally through npm start', () => {
    expect(firstScreen).toMatch(/Functions app[\s\S]*`azd up`/);
    expect(firstScreen).toMatch(/on one machine with `npm start`/);
  });
});
