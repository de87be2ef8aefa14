import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistRefreshTokens } from '../../shared/dev/refresh-token-file.js';
import { MicrosoftSimulation } from '../../shared/dev/simulation.js';

const SETTINGS = {
  authorityUrl: 'http://localhost:7071/dev/login',
  graphHost: 'graph.microsoft.com',
  publicBaseUrl: 'http://localhost:7071',
  serviceAppId: '5f0b4c2a-7a1e-4c43-9d36-000000000001',
  serviceAppIdUri: 'api://5f0b4c2a-7a1e-4c43-9d36-000000000001',
  clientAppId: '5f0b4c2a-7a1e-4c43-9d36-000000000002',
};

const GRANT = {
  userId: 'u1',
  tenantId: 't1',
  amr: ['pwd'],
  acrs: [],
  authTime: 1,
  clientId: SETTINGS.clientAppId,
  scopes: ['openid', 'offline_access'],
  family: 'f1',
};

function tokenFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'pinreset-refresh-')), 'nested', 'dev-refresh-tokens.json');
}

describe('the refresh token file of npm start', () => {
  it('restores live entries, drops expired ones, and writes every change back owner-only (0600)', () => {
    const path = tokenFile();
    const later = Date.now() + 60_000;
    const authority = new MicrosoftSimulation(() => SETTINGS).authority;
    const live: [string, { grant: typeof GRANT; used: boolean }, number] = ['hash-live', { grant: GRANT, used: false }, later];
    const expired: [string, { grant: typeof GRANT; used: boolean }, number] = ['hash-old', { grant: GRANT, used: false }, Date.now() - 1];
    authority.restoreRefreshTokens({ refreshTokens: [live, expired], revokedFamilies: [['f2', true, later]] });
    persistRefreshTokens(authority, path);
    authority.onRefreshTokensChange?.();
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);

    const restarted = new MicrosoftSimulation(() => SETTINGS).authority;
    persistRefreshTokens(restarted, path);
    expect(restarted.refreshTokenSnapshot()).toEqual({ refreshTokens: [live], revokedFamilies: [['f2', true, later]] });
    expect(readFileSync(path, 'utf8')).not.toContain('hash-old');
  });

  it('starts with no refresh tokens from a file that is not JSON or not its shape, instead of failing later', () => {
    for (const text of ['not json', '{}', '{"refreshTokens":[["h",null,9e15]],"revokedFamilies":[]}']) {
      const path = tokenFile();
      const authority = new MicrosoftSimulation(() => SETTINGS).authority;
      persistRefreshTokens(authority, path);
      authority.onRefreshTokensChange?.();
      writeFileSync(path, text);
      const restarted = new MicrosoftSimulation(() => SETTINGS).authority;
      persistRefreshTokens(restarted, path);
      expect(restarted.refreshTokenSnapshot()).toEqual({ refreshTokens: [], revokedFamilies: [] });
    }
  });
});
