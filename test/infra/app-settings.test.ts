import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOUD_HOSTS, SETTINGS, type SettingDefinition } from '../../shared/config.js';
import {
  REPO_ROOT,
  appSettings,
  dereference,
  descendants,
  evaluateString,
  fileOf,
  infraFromSources,
  loadInfra,
  missingAppSettings,
  parameter,
  parameters,
  possibleStrings,
  propertyKey,
  readInfraText,
  stringLiteral,
  variableValue,
  type Infra,
  type Node,
} from './bicep-tree.js';
import { secretFindings } from './template-checks.js';

const infra = loadInfra();
const requiredInAzure: string[] = SETTINGS.filter((setting) => setting.requiredInAzure).map((setting) => setting.name);

/** The template text with every line that sets `name` as an object key removed, as overrides. */
function withoutSetting(name: string): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const file of infra.values()) {
    const rows = new Set(
      descendants(file.root, 'object_property')
        .filter((node) => propertyKey(node) === name)
        .map((node) => node.startPosition.row),
    );
    if (rows.size === 0) continue;
    overrides[file.path] = readInfraText(file.path)
      .split('\n')
      .filter((_, row) => !rows.has(row))
      .join('\n');
  }
  return overrides;
}

function settingValue(name: string, from: Infra = infra): string | undefined {
  const bound = appSettings(from).get(name);
  return bound ? evaluateString(bound.node, bound.scope) : undefined;
}

/** Source text of what a setting is bound to, after following variables and module parameters. */
function settingExpression(name: string): string | undefined {
  const bound = appSettings(infra).get(name);
  return bound ? dereference(bound.node, bound.scope).node.text : undefined;
}

describe('Function App settings against shared/config.ts', () => {
  it('covers at least the settings config.ts marks requiredInAzure today', () => {
    expect(requiredInAzure).toEqual(
      expect.arrayContaining(['PINRESET_PUBLIC_BASE_URL', 'PINRESET_SERVICE_APP_ID', 'PINRESET_CLIENT_APP_ID', 'TABLES_ENDPOINT', 'AZURE_CLIENT_ID']),
    );
  });

  it('sets every setting in SETTINGS with requiredInAzure=true', () => {
    expect(missingAppSettings(infra, requiredInAzure)).toEqual([]);
  });

  it('sets the decrypt rate limits from template parameters with config.ts defaults', () => {
    expect(
      missingAppSettings(infra, ['PINRESET_DECRYPT_LIMIT_PER_USER', 'PINRESET_DECRYPT_LIMIT_PER_TENANT', 'PINRESET_DECRYPT_LIMIT_WINDOW_SECONDS']),
    ).toEqual([]);
    const main = readInfraText('main.bicep');
    for (const [parameter, setting] of [
      ['decryptLimitPerUser', 'PINRESET_DECRYPT_LIMIT_PER_USER'],
      ['decryptLimitPerTenant', 'PINRESET_DECRYPT_LIMIT_PER_TENANT'],
      ['decryptLimitWindowSeconds', 'PINRESET_DECRYPT_LIMIT_WINDOW_SECONDS'],
    ] as const) {
      const fallback = (SETTINGS as readonly SettingDefinition[]).find((entry) => entry.name === setting)?.defaultValue;
      expect(main).toMatch(new RegExp(`param ${parameter} int = ${fallback}\\b`));
    }
  });

  it.each(requiredInAzure)('reports %s as missing once its line is removed from the template', (name) => {
    const overrides = withoutSetting(name);
    expect(Object.keys(overrides).length, `${name} is set somewhere in infra/`).toBeGreaterThan(0);
    const broken = loadInfra(overrides);
    expect(missingAppSettings(broken, requiredInAzure)).toEqual([name]);
  });

  it('sets PINRESET_DEV_MODE to false explicitly, after any operator-supplied settings', () => {
    expect(settingValue('PINRESET_DEV_MODE')).toBe('false');
  });

  it('lets operator-supplied additionalAppSettings add settings but not override the template', () => {
    const main = fileOf(infra, 'main.bicep');
    const call = descendants(main.root, 'call_expression').find((node) => node.text.startsWith('union(additionalAppSettings'));
    expect(call?.text).toBe('union(additionalAppSettings, serviceSettings)');
  });

  it('does not set FUNCTIONS_WORKER_RUNTIME or other settings Flex Consumption rejects', () => {
    const forbidden = [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'AzureWebJobsStorage',
    ];
    const everyKey = [...infra.values()].flatMap((file) => descendants(file.root, 'object_property').map(propertyKey));
    for (const name of forbidden) expect(everyKey).not.toContain(name);
  });

  it('does not set the local-only settings the app refuses or ignores in Azure', () => {
    const possible = appSettings(infra, 'possible');
    for (const name of ['TABLES_CONNECTION_STRING', 'PINRESET_LOCAL_KEK', 'PORT']) expect(possible.has(name), name).toBe(false);
  });

  it('reaches the Functions host storage with the managed identity, not a connection string', () => {
    expect(settingValue('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(settingExpression('AzureWebJobsStorage__clientId')).toBe('identity.outputs.clientId');
    for (const service of ['blob', 'table']) {
      expect(settingExpression(`AzureWebJobsStorage__${service}ServiceUri`)).toBe(`storage.properties.primaryEndpoints.${service}`);
    }
    // HTTP and timer triggers need no queues (timers keep their schedule and lease in blobs), so the
    // host gets no queue endpoint (nor a queue role). Any other trigger would need both back.
    expect(appSettings(infra, 'possible').has('AzureWebJobsStorage__queueServiceUri')).toBe(false);
    const functionsDir = join(REPO_ROOT, 'functions');
    const registrations = readdirSync(functionsDir)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => [...readFileSync(join(functionsDir, name), 'utf8').matchAll(/\bapp\.([A-Za-z]+)\(/g)].map((match) => match[1]));
    expect([...new Set(registrations)].sort()).toEqual(['http', 'setup', 'timer']);
  });

  it('sends telemetry with the managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)', () => {
    expect(settingExpression('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identityClientId};Authorization=AAD'");
  });

  it('gives the code the managed identity client id as AZURE_CLIENT_ID', () => {
    expect(settingExpression('AZURE_CLIENT_ID')).toBe('identity.outputs.clientId');
  });

  it('points TABLES_ENDPOINT at the table service of the storage account, without a trailing slash', () => {
    const expression = settingExpression('TABLES_ENDPOINT');
    expect(expression).toBe("'https://${storage.outputs.name}.table.${environment().suffixes.storage}'");
  });

  it('binds the key-custody settings to the Key Vault module outputs', () => {
    const custody = [...appSettings(infra).keys()].filter((name) => /KEY_VAULT|KEK/.test(name));
    expect(custody.length).toBeGreaterThan(0);
    for (const name of custody) expect(settingExpression(name)).toMatch(/^keyVault\.outputs\.\w+$/);
    expect(settingExpression('PINRESET_KEY_VAULT_KEY_ID')).toBe('keyVault.outputs.kekUri');
  });

  it('uses the same default administrator role ids as config.ts', () => {
    const main = fileOf(infra, 'main.bicep');
    for (const [name, param] of [
      ['PINRESET_ADMIN_ROLE_IDS', 'adminRoleIds'],
      ['PINRESET_PASSCODE_RESET_ROLE_IDS', 'passcodeResetRoleIds'],
    ] as const) {
      const definition: SettingDefinition | undefined = SETTINGS.find((setting) => setting.name === name);
      expect(appSettings(infra).get(name)?.node.text, `${name} comes from the ${param} parameter`).toBe(param);
      expect(stringLiteral(parameter(main, param)?.defaultValue)).toBe(definition?.defaultValue);
      expect(settingValue(name)).toBe(definition?.defaultValue);
    }
  });

  it('derives PINRESET_CLOUD from the Azure cloud it deploys to, one value per cloud config.ts knows', () => {
    const bound = appSettings(infra).get('PINRESET_CLOUD');
    expect(bound).toBeDefined();
    expect(possibleStrings(bound!.node, bound!.scope)?.sort()).toEqual(Object.keys(CLOUD_HOSTS).sort());
  });

  it('lets no parameter set PINRESET_CLOUD: registrations, identity and federated credential all live in the cloud deployed to', () => {
    // The Graph extension writes the registrations into the deploying cloud's Entra ID and the managed
    // identity's tokens come from that cloud's issuer; a PINRESET_CLOUD naming another cloud would send
    // the service (and its token-exchange audience) to an Entra ID where its apps do not exist.
    const main = fileOf(infra, 'main.bicep');
    const names = new Set(parameters(main).map((declared) => declared.name));
    const expression = dereference(appSettings(infra).get('PINRESET_CLOUD')!.node, { infra, file: main }).node;
    const referenced = (node: Node, seen = new Set<string>()): string[] =>
      descendants(node, 'identifier').flatMap((identifier) => {
        const name = identifier.text;
        if (seen.has(name)) return [];
        seen.add(name);
        const value = variableValue(main, name);
        return value ? [name, ...referenced(value, seen)] : [name];
      });
    expect(referenced(expression).filter((name) => names.has(name))).toEqual([]);
    expect(variableValue(main, 'azureCloud')?.text).toBe('environment().name');
  });
});

describe('The app settings checker', () => {
  const module = `
param extra object
param name string
resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: name
}
var base = {
  A: 'a'
}
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(extra, base, flag ? { B: 'b' } : {}, flag ? { C: 'c' } : { C: 'd' })
}
`;
  const main = (extra: string): string => `
var more = {
${extra}
}
module app 'app/site.bicep' = {
  name: 'app'
  params: {
    name: 'x'
    extra: more
  }
}
`;

  it('follows module parameters, variables and union() to the keys that are always set', () => {
    const synthetic = infraFromSources({ 'main.bicep': main("  D: 'd'"), 'app/site.bicep': module });
    expect([...appSettings(synthetic).keys()].sort()).toEqual(['A', 'C', 'D']);
    expect(missingAppSettings(synthetic, ['A', 'B', 'C', 'D'])).toEqual(['B']);
    expect(evaluateString(appSettings(synthetic).get('D')!.node, appSettings(synthetic).get('D')!.scope)).toBe('d');
  });

  it('counts a setting set in only one branch of a condition as possible, not definite', () => {
    const synthetic = infraFromSources({ 'main.bicep': main(''), 'app/site.bicep': module });
    expect(appSettings(synthetic, 'possible').has('B')).toBe(true);
    expect(appSettings(synthetic, 'definite').has('B')).toBe(false);
  });
});

describe('No secrets in the templates', () => {
  it('finds no listKeys(), secure parameter or output, Key Vault secret, or key-bearing setting', () => {
    expect(secretFindings(infra)).toEqual([]);
  });

  it('reports a storage connection string with an account key added to the app settings', () => {
    const settings = readInfraText('app/settings.bicep');
    const leaked = settings.replace(
      "  AzureWebJobsStorage__credential: 'managedidentity'\n",
      "  AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value}'\n",
    );
    expect(leaked).not.toBe(settings);
    const findings = secretFindings(loadInfra({ 'app/settings.bicep': leaked }));
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/app\/settings\.bicep:\d+ calls listKeys\(\)/),
        'app setting AzureWebJobsStorage is a storage connection string',
        'app setting AzureWebJobsStorage carries a credential',
      ]),
    );
  });

  it('reports an output that returns a key', () => {
    const storage = `${readInfraText('app/storage.bicep')}\n@secure()\noutput accountKey string = storage.listKeys().keys[0].value\n`;
    const findings = secretFindings(loadInfra({ 'app/storage.bicep': storage }));
    expect(findings).toEqual(
      expect.arrayContaining(['app/storage.bicep: output accountKey is @secure()', 'app/storage.bicep: output accountKey carries a credential']),
    );
  });
});
