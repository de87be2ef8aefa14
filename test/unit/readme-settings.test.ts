import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../shared/config.js';

describe('README settings table', () => {
  it('documents every setting of the configuration catalogue', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]));
    const missing = SETTINGS.map((setting) => setting.name).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});
