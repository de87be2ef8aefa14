import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  arrayItems,
  callArguments,
  calledFunction,
  deployedResources,
  dereference,
  evaluateString,
  fileOf,
  literal,
  loadInfra,
  possibleStrings,
  property,
  propertyPath,
  resourceBySymbol,
  type Node,
  type ResourceDeclaration,
  type Scope,
  variableValue,
} from './bicep-tree.js';

const infra = loadInfra();

function only(type: string): ResourceDeclaration {
  const found = deployedResources(infra, type);
  expect(found.map((resource) => `${resource.file.path}:${resource.symbolicName}`)).toHaveLength(1);
  return found[0]!;
}

function scopeOf(resource: ResourceDeclaration): Scope {
  return { infra, file: resource.file };
}

function valueAt(resource: ResourceDeclaration, path: string): unknown {
  const node = propertyPath(resource.body, path);
  expect(node, `${resource.symbolicName}.${path} is set`).toBeDefined();
  const resolved = dereference(node!, scopeOf(resource)).node;
  const value = literal(resolved);
  return value === undefined ? evaluateString(node, scopeOf(resource)) : value;
}

describe('Storage account', () => {
  const storage = only('Microsoft.Storage/storageAccounts');

  it('refuses shared key access, so only Entra identities reach it', () => {
    expect(valueAt(storage, 'properties.allowSharedKeyAccess')).toBe(false);
    expect(valueAt(storage, 'properties.defaultToOAuthAuthentication')).toBe(true);
  });

  it('requires TLS 1.2 and HTTPS, with no public blob access', () => {
    expect(valueAt(storage, 'properties.minimumTlsVersion')).toBe('TLS1_2');
    expect(valueAt(storage, 'properties.supportsHttpsTrafficOnly')).toBe(true);
    expect(valueAt(storage, 'properties.allowBlobPublicAccess')).toBe(false);
  });

  it('holds the deployment package container, private', () => {
    const container = only('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(valueAt(container, 'properties.publicAccess')).toBe('None');
  });
});

describe('Function App on Flex Consumption', () => {
  const plan = only('Microsoft.Web/serverfarms');
  const site = only('Microsoft.Web/sites');

  it('runs on the Flex Consumption plan (FC1), Linux', () => {
    expect(valueAt(plan, 'sku.name')).toBe('FC1');
    expect(valueAt(plan, 'sku.tier')).toBe('FlexConsumption');
    expect(valueAt(plan, 'properties.reserved')).toBe(true);
    expect(valueAt(site, 'kind')).toBe('functionapp,linux');
    const serverFarm = dereference(propertyPath(site.body, 'properties.serverFarmId')!, scopeOf(site)).node;
    expect(serverFarm.text).toBe(`${plan.symbolicName}.id`);
  });

  it("runs Node 22: a version package.json's engines admit, and the one bundled for local runs", () => {
    expect(valueAt(site, 'properties.functionAppConfig.runtime.name')).toBe('node');
    expect(valueAt(site, 'properties.functionAppConfig.runtime.version')).toBe('22');
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    // engines.node is a lower bound (">=20") or names the major ("^22", "22.x").
    const engines = packageJson.engines.node.trim();
    const lowerBound = /^>=\s*(\d+)(\.\d+){0,2}$/.exec(engines);
    if (lowerBound) expect(Number(lowerBound[1]), `engines.node ${engines} admits Node 22`).toBeLessThanOrEqual(22);
    else expect(engines).toMatch(/^(\^|~)?22\b/);
    expect(packageJson.devDependencies.node, 'the bundled Node of npm start is the same major').toMatch(/^\^?22\./);
  });

  it('sets scale limits for instances, memory and HTTP concurrency', () => {
    const scale = propertyPath(site.body, 'properties.functionAppConfig.scaleAndConcurrency');
    expect(property(scale, 'maximumInstanceCount')).toBeDefined();
    expect(property(scale, 'instanceMemoryMB')).toBeDefined();
    expect(propertyPath(scale, 'triggers.http.perInstanceConcurrency')).toBeDefined();
  });

  it('runs as a user-assigned managed identity and reads its deployment package with it', () => {
    expect(valueAt(site, 'identity.type')).toBe('UserAssigned');
    expect(valueAt(site, 'properties.functionAppConfig.deployment.storage.type')).toBe('blobContainer');
    expect(valueAt(site, 'properties.functionAppConfig.deployment.storage.authentication.type')).toBe('UserAssignedIdentity');
    expect(propertyPath(site.body, 'properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId')?.text).toBe('identityId');
    expect(propertyPath(site.body, 'properties.functionAppConfig.deployment.storage.authentication.storageAccountConnectionStringName')).toBeUndefined();
  });

  it('serves its URL without a trailing slash, even when the custom-domain parameter has one', () => {
    // Every redirect URI is `${serviceUrl}/…` and the code strips trailing slashes from
    // PINRESET_PUBLIC_BASE_URL: a `…//onboarding/signin` redirect URI would never match (AADSTS50011).
    const api = site.file;
    const serviceUrl = variableValue(api, 'serviceUrl');
    expect(serviceUrl?.text).toBe("!empty(publicBaseOrigin) ? publicBaseOrigin : 'https://${functionApp.properties.defaultHostName}'");
    expect(variableValue(api, 'publicBaseOrigin')?.text).toBe(
      "endsWith(publicBaseUrl, '/') ? substring(publicBaseUrl, 0, length(publicBaseUrl) - 1) : publicBaseUrl",
    );
  });

  it('serves HTTPS only with TLS 1.2 and no basic-auth publishing', () => {
    expect(valueAt(site, 'properties.httpsOnly')).toBe(true);
    expect(valueAt(site, 'properties.siteConfig.minTlsVersion')).toBe('1.2');
    const policies = deployedResources(infra, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((policy) => evaluateString(property(policy.body, 'name'), scopeOf(policy))).sort()).toEqual(['ftp', 'scm']);
    for (const policy of policies) expect(valueAt(policy, 'properties.allow')).toBe(false);
  });
});

/**
 * Site properties Microsoft lists as deprecated for Flex Consumption ("Flex Consumption plan
 * deprecations", Azure Functions app settings reference): the plan has no FTP(S), no 32-bit worker, no
 * always-on and takes runtime and scale from functionAppConfig. ARM refuses some of them outright on a
 * Flex site ("The following list of … site configuration properties (Site.SiteConfig.FtpsState, …) for
 * Flex Consumption sites is invalid"), so the template sets none.
 */
const FLEX_REJECTED_SITE_PROPERTIES = [
  'ftpsState',
  'use32BitWorkerProcess',
  'alwaysOn',
  'netFrameworkVersion',
  'javaVersion',
  'powerShellVersion',
  'linuxFxVersion',
  'windowsFxVersion',
  'functionAppScaleLimit',
  'preWarmedInstanceCount',
  'minimumElasticInstanceCount',
  'functionsRuntimeScaleMonitoringEnabled',
];

describe('Flex Consumption site properties', () => {
  const site = only('Microsoft.Web/sites');

  it.each(FLEX_REJECTED_SITE_PROPERTIES)('does not set %s, which Flex Consumption rejects or ignores', (name) => {
    expect(propertyPath(site.body, `properties.siteConfig.${name}`)).toBeUndefined();
    expect(property(propertyPath(site.body, 'properties'), name)).toBeUndefined();
  });

  it('sets no site configuration through a separate Microsoft.Web/sites/config "web" resource either', () => {
    const configs = deployedResources(infra, 'Microsoft.Web/sites/config');
    const names = configs.map((config) => evaluateString(property(config.body, 'name'), scopeOf(config)));
    expect(names).toEqual(['appsettings']);
  });
});

describe('Key Vault and the key-encryption key', () => {
  const vault = only('Microsoft.KeyVault/vaults');
  const key = only('Microsoft.KeyVault/vaults/keys');

  it('uses RBAC authorization with soft delete and purge protection', () => {
    expect(valueAt(vault, 'properties.enableRbacAuthorization')).toBe(true);
    expect(valueAt(vault, 'properties.enableSoftDelete')).toBe(true);
    expect(valueAt(vault, 'properties.enablePurgeProtection')).toBe(true);
    expect(propertyPath(vault.body, 'properties.accessPolicies')).toBeUndefined();
  });

  it('holds an RSA 3072 key usable only to wrap and unwrap keys', () => {
    const kty = possibleStrings(propertyPath(key.body, 'properties.kty')!, scopeOf(key));
    expect(kty).toBeDefined();
    for (const value of kty!) expect(['RSA', 'RSA-HSM']).toContain(value);
    expect(valueAt(key, 'properties.keySize')).toBe(3072);
    const keyOps = arrayItems(propertyPath(key.body, 'properties.keyOps')).map((item) => literal(item));
    expect(keyOps.sort()).toEqual(['unwrapKey', 'wrapKey']);
    expect(valueAt(key, 'properties.attributes.exportable')).toBe(false);
  });
});

describe('Monitoring', () => {
  it('sends telemetry to workspace-based Application Insights with local auth disabled', () => {
    const insights = only('Microsoft.Insights/components');
    const workspace = only('Microsoft.OperationalInsights/workspaces');
    expect(valueAt(insights, 'properties.DisableLocalAuth')).toBe(true);
    expect(propertyPath(insights.body, 'properties.WorkspaceResourceId')?.text).toBe(`${workspace.symbolicName}.id`);
    expect(valueAt(workspace, 'properties.features.disableLocalAuth')).toBe(true);
  });
});

describe('Role assignments for the managed identity', () => {
  const assignments = deployedResources(infra, 'Microsoft.Authorization/roleAssignments');

  /** The built-in role definition guid a roleDefinitionId expression names. */
  function roleGuid(assignment: ResourceDeclaration): string | undefined {
    const expression = propertyPath(assignment.body, 'properties.roleDefinitionId');
    if (!expression) return undefined;
    const call = dereference(expression, scopeOf(assignment)).node;
    if (call.type === 'call_expression' && ['subscriptionResourceId', 'resourceId', 'tenantResourceId'].includes(calledFunction(call) ?? '')) {
      const args = callArguments(call);
      expect(evaluateString(args[0], scopeOf(assignment))).toBe('Microsoft.Authorization/roleDefinitions');
      return evaluateString(args.at(-1), scopeOf(assignment));
    }
    return evaluateString(call, scopeOf(assignment))?.split('/').at(-1);
  }

  function scopeType(assignment: ResourceDeclaration): string | undefined {
    const scope = property(assignment.body, 'scope');
    return scope ? resourceBySymbol(assignment.file, scope.text)?.type : undefined;
  }

  const expected = [
    { role: 'Storage Blob Data Owner', id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', scope: 'Microsoft.Storage/storageAccounts' },
    { role: 'Storage Table Data Contributor', id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', scope: 'Microsoft.Storage/storageAccounts' },
    { role: 'Monitoring Metrics Publisher', id: '3913510d-42f4-4e42-8a64-420c390055eb', scope: 'Microsoft.Insights/components' },
    // Read, wrap and unwrap only: not Key Vault Crypto User, whose keys/update/action would let the app
    // disable the KEK or change its operations, and whose backup/encrypt/decrypt/sign it never uses.
    { role: 'Key Vault Crypto Service Encryption User', id: 'e147488a-f6f5-4113-8e2d-b22465e65bf6', scope: 'Microsoft.KeyVault/vaults/keys' },
  ];

  it('grants exactly the four roles the app needs, and nothing else (no queue role: HTTP and timer triggers use no queues)', () => {
    expect(assignments.map(roleGuid).sort()).toEqual(expected.map((entry) => entry.id).sort());
  });

  it.each(expected)('grants $role ($id) on the $scope, named by guid() over scope, principal and role', ({ id, scope }) => {
    const assignment = assignments.find((candidate) => roleGuid(candidate) === id);
    expect(assignment).toBeDefined();
    expect(assignment!.conditional).toBe(false);
    expect(scopeType(assignment!)).toBe(scope);

    const name = dereference(property(assignment!.body, 'name')!, scopeOf(assignment!)).node;
    expect(name.type).toBe('call_expression');
    expect(calledFunction(name)).toBe('guid');
    const parts: Node[] = callArguments(name);
    expect(parts.map((part) => evaluateString(part, scopeOf(assignment!)))).toContain(id);
    expect(parts.map((part) => part.text)).toContain(`${property(assignment!.body, 'scope')!.text}.id`);
    expect(parts.map((part) => part.text)).toContain('principalId');

    expect(propertyPath(assignment!.body, 'properties.principalId')?.text).toBe('principalId');
    expect(valueAt(assignment!, 'properties.principalType')).toBe('ServicePrincipal');
  });

  it("gives the role assignments the managed identity's principal id", () => {
    const main = fileOf(infra, 'main.bicep');
    const rbac = main.root.namedChildren.find((node) => node.type === 'module_declaration' && node.text.includes("'app/rbac.bicep'"));
    expect(rbac).toBeDefined();
    const params = property(
      rbac!.namedChildren.find((child) => child.type === 'object'),
      'params',
    );
    expect(property(params, 'principalId')?.text).toBe('identity.outputs.principalId');
  });
});
