import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../shared/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]));

describe('README settings table', () => {
  it('documents every setting of the configuration catalogue', () => {
    const missing = SETTINGS.map((setting) => setting.name).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('documents every environment variable npm start reads (PORT, AZURITE_TABLE_PORT, PINRESET_ACCESS_LOG, ...)', () => {
    const script = readFileSync(new URL('../../scripts/start-local.ts', import.meta.url), 'utf8');
    const read = new Set([
      ...[...script.matchAll(/process\.env\.([A-Z_]+)/g)].map((match) => match[1]),
      ...[...script.matchAll(/integerSetting\('([A-Z_]+)'/g)].map((match) => match[1]),
    ]);
    expect([...read]).toEqual(expect.arrayContaining(['PORT', 'AZURITE_TABLE_PORT', 'PINRESET_ACCESS_LOG']));
    expect([...read].filter((name) => name && !documented.has(name))).toEqual([]);
  });

  it('writes the local URL of its examples as http://localhost:${PORT:-7071}, never a bare 7071 in a command', () => {
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((match) => (match[1] ?? '').split('\n'))
      .filter((line) => !line.trimStart().startsWith('#'));
    expect(commands.filter((line) => /localhost:7071/.test(line.replace(/#.*$/, '')))).toEqual([]);
    expect(readme).toContain('http://localhost:${PORT:-7071}');
  });
});
