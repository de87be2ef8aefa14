import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistDirectory } from '../../shared/dev/directory-file.js';
import { SimulatedDirectory } from '../../shared/dev/simulated-directory.js';

const TENANT = '6f9a1f2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b';
const APP = '5f0b4c2a-7a1e-4c43-9d36-000000000001';

describe('the simulated directory file of npm start', () => {
  it('brings consented service principals back after a restart, with the same ids, and forgets removed ones', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pinreset-dir-')), 'nested', 'dev-directory.json');
    const before = new SimulatedDirectory();
    persistDirectory(before, path);
    const consented = before.consent(TENANT, APP, 'PIN Reset Service (development)');
    before.consent(TENANT, '5f0b4c2a-7a1e-4c43-9d36-000000000002', 'PIN Reset Client (development)');
    before.removeServicePrincipal(TENANT, '5f0b4c2a-7a1e-4c43-9d36-000000000002');

    const after = new SimulatedDirectory();
    persistDirectory(after, path);
    expect(after.servicePrincipal(TENANT, APP)).toEqual(consented);
    expect(after.servicePrincipal(TENANT, '5f0b4c2a-7a1e-4c43-9d36-000000000002')).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8')).servicePrincipals).toHaveLength(1);
  });

  it('keeps the users created on the sign-in page, with their object ids, roles and consents', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pinreset-dir-')), 'dev-directory.json');
    const before = new SimulatedDirectory();
    persistDirectory(before, path);
    const user = before.saveUser({
      tenantId: TENANT,
      displayName: 'Adele',
      userPrincipalName: 'Adele@Contoso.test',
      directoryRoles: ['62e90394-69f5-4237-9190-012177145e10'],
    });
    before.grantUserConsent(user.id, APP);
    const updated = before.saveUser({
      tenantId: TENANT,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.test',
      appRoles: ['PinReset.Administrator'],
    });
    expect(updated.id).toBe(user.id);

    const after = new SimulatedDirectory();
    persistDirectory(after, path);
    expect(after.listUsers(TENANT)).toEqual([{ ...updated, consentedClientIds: [APP] }]);
    expect(after.user(user.id)?.directoryRoles).toEqual([]);
  });

  it('starts empty when there is no file yet', () => {
    const directory = new SimulatedDirectory();
    persistDirectory(directory, join(mkdtempSync(join(tmpdir(), 'pinreset-dir-')), 'none.json'));
    expect(directory.snapshot()).toEqual({ servicePrincipals: [], users: [] });
  });
});
