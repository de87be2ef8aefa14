import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig, SETTINGS } from '../../shared/config.js';

const azure = {
  WEBSITE_INSTANCE_ID: 'abc',
  WEBSITE_HOSTNAME: 'pinreset-xyz.azurewebsites.net',
  PINRESET_SERVICE_APP_ID: '11111111-1111-4111-8111-111111111111',
  PINRESET_SERVICE_APP_ID_URI: 'api://pinreset.contoso.com',
  PINRESET_CLIENT_APP_ID: '22222222-2222-4222-8222-222222222222',
  TABLES_ENDPOINT: 'https://stpinreset.table.core.windows.net',
  AZURE_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  PINRESET_KEY_VAULT_KEY_ID: 'https://kv-pinreset.vault.azure.net/keys/tenant-key-encryption-key',
};

function configurationError(env: Record<string, string>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('configuration', () => {
  it('uses the managed identity and TABLES_ENDPOINT for storage in Azure', () => {
    const config = loadConfig(azure);
    expect(config.runningInAzure).toBe(true);
    expect(config.storage).toEqual({ kind: 'managedIdentity', endpoint: azure.TABLES_ENDPOINT, clientId: azure.AZURE_CLIENT_ID });
    expect(config.publicBaseUrl).toBe('https://pinreset-xyz.azurewebsites.net');
    expect(config.authorityHost).toBe('login.microsoftonline.com');
    expect(config.graphHost).toBe('graph.microsoft.com');
  });

  it("builds the authority URL: the cloud's https host, the dev authority on loopback in development mode, http nowhere else", () => {
    expect(loadConfig(azure).authorityUrl).toBe('https://login.microsoftonline.com');
    expect(loadConfig({ ...azure, PINRESET_CLOUD: 'usGovernment' }).authorityUrl).toBe('https://login.microsoftonline.us');
    expect(loadConfig({ ...azure, PINRESET_AUTHORITY_HOST: 'login.partner.example/tenant-path/' }).authorityUrl).toBe(
      'https://login.partner.example/tenant-path',
    );
    const dev = { PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', PORT: '8080' };
    expect(loadConfig(dev)).toMatchObject({ authorityUrl: 'http://localhost:8080/dev/login', authorityHost: 'localhost:8080' });
    expect(loadConfig({ ...dev, PINRESET_AUTHORITY_HOST: 'localhost:9000/dev/login' }).authorityUrl).toBe('http://localhost:9000/dev/login');
    expect(configurationError({ ...azure, PINRESET_AUTHORITY_HOST: 'http://localhost:7071/dev/login' }).setting).toBe('PINRESET_AUTHORITY_HOST');
    expect(configurationError({ ...dev, PINRESET_AUTHORITY_HOST: 'http://login.example.test' }).setting).toBe('PINRESET_AUTHORITY_HOST');
    expect(configurationError({ ...azure, PINRESET_AUTHORITY_HOST: 'https://login.example.test/?x=1' }).setting).toBe('PINRESET_AUTHORITY_HOST');
  });

  it('refuses development mode when running in Azure', () => {
    expect(configurationError({ ...azure, PINRESET_DEV_MODE: 'true' }).setting).toBe('PINRESET_DEV_MODE');
  });

  it('names the missing setting when an app registration is not configured', () => {
    const { PINRESET_CLIENT_APP_ID: _omitted, ...rest } = azure;
    expect(configurationError(rest).message).toContain('PINRESET_CLIENT_APP_ID');
  });

  it('requires a storage setting', () => {
    const { TABLES_ENDPOINT: _omitted, ...rest } = azure;
    expect(configurationError(rest).setting).toBe('TABLES_ENDPOINT');
  });

  it('selects the sovereign cloud hosts', () => {
    expect(loadConfig({ ...azure, PINRESET_CLOUD: 'usGovernment' })).toMatchObject({
      authorityHost: 'login.microsoftonline.us',
      graphHost: 'graph.microsoft.us',
    });
    expect(loadConfig({ ...azure, PINRESET_CLOUD: 'china' })).toMatchObject({
      authorityHost: 'login.chinacloudapi.cn',
      graphHost: 'microsoftgraph.chinacloudapi.cn',
    });
    expect(configurationError({ ...azure, PINRESET_CLOUD: 'mars' }).setting).toBe('PINRESET_CLOUD');
  });

  it('uses a connection string and stable development app ids locally in development mode', () => {
    const config = loadConfig({ PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', PORT: '8080' });
    expect(config.devMode).toBe(true);
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    expect(config.publicBaseUrl).toBe('http://localhost:8080');
    expect(config.serviceAppIdUri).toBe(`api://${config.serviceAppId}`);
  });

  it('reads admin role ids as a lower-case list and validates numbers', () => {
    const config = loadConfig({ ...azure, PINRESET_ADMIN_ROLE_IDS: 'AAA, bbb' });
    expect(config.adminRoleIds).toEqual(['aaa', 'bbb']);
    expect(configurationError({ ...azure, PINRESET_MFA_MAX_AGE_SECONDS: 'ten' }).setting).toBe('PINRESET_MFA_MAX_AGE_SECONDS');
  });

  it('limits requested key rotations to one a minute by default, and 0 turns the limit off', () => {
    expect(loadConfig(azure).keyRotationMinIntervalSeconds).toBe(60);
    expect(loadConfig({ ...azure, PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS: '0' }).keyRotationMinIntervalSeconds).toBe(0);
    expect(loadConfig({ ...azure, PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS: '300' }).keyRotationMinIntervalSeconds).toBe(300);
    expect(configurationError({ ...azure, PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS: '-1' }).setting).toBe('PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS');
  });

  it('describes every setting in the catalogue', () => {
    for (const setting of SETTINGS) expect(setting.description.length).toBeGreaterThan(10);
    expect(new Set(SETTINGS.map((setting) => setting.name)).size).toBe(SETTINGS.length);
  });

  it('wraps tenant keys with the Key Vault key in Azure, and refuses to start without one', () => {
    expect(loadConfig(azure).keyCustody).toEqual({ kind: 'keyVault', keyId: azure.PINRESET_KEY_VAULT_KEY_ID, clientId: azure.AZURE_CLIENT_ID });
    const { PINRESET_KEY_VAULT_KEY_ID: _omitted, ...withoutKek } = azure;
    expect(configurationError(withoutKek).setting).toBe('PINRESET_KEY_VAULT_KEY_ID');
    expect(configurationError({ ...withoutKek, PINRESET_LOCAL_KEK: Buffer.alloc(32, 1).toString('base64') }).setting).toBe('PINRESET_LOCAL_KEK');
    expect(configurationError({ ...azure, PINRESET_KEY_VAULT_KEY_ID: 'https://evil.example/keys/x' }).setting).toBe('PINRESET_KEY_VAULT_KEY_ID');
  });

  it('uses a local KEK when self-hosting outside Azure, the dev-only KEK only in development mode, and nothing otherwise', () => {
    const { WEBSITE_INSTANCE_ID: _a, WEBSITE_HOSTNAME: _b, PINRESET_KEY_VAULT_KEY_ID: _c, ...selfHosted } = azure;
    const kek = Buffer.alloc(32, 9);
    expect(loadConfig({ ...selfHosted, PINRESET_LOCAL_KEK: kek.toString('base64') }).keyCustody).toEqual({ kind: 'local', kek, devOnly: false });
    expect(configurationError({ ...selfHosted, PINRESET_LOCAL_KEK: Buffer.alloc(16).toString('base64') }).setting).toBe('PINRESET_LOCAL_KEK');
    expect(configurationError(selfHosted).setting).toBe('PINRESET_KEY_VAULT_KEY_ID');
    expect(loadConfig({ PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).keyCustody).toMatchObject({
      kind: 'local',
      devOnly: true,
    });
  });

  it('keeps development mode on loopback and out of any Azure host', () => {
    const dev = { PINRESET_DEV_MODE: 'true', TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' };
    expect(loadConfig({ ...dev, PINRESET_PUBLIC_BASE_URL: 'http://127.0.0.1:8080' }).devMode).toBe(true);
    expect(configurationError({ ...dev, PINRESET_PUBLIC_BASE_URL: 'https://pinreset.contoso.com' }).setting).toBe('PINRESET_DEV_MODE');
    expect(configurationError({ ...dev, IDENTITY_ENDPOINT: 'http://localhost:42356/msi/token' }).setting).toBe('PINRESET_DEV_MODE');
    expect(configurationError({ ...dev, CONTAINER_APP_NAME: 'pinreset' }).setting).toBe('PINRESET_DEV_MODE');
  });
});
