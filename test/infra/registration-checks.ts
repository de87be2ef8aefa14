/**
 * Checks over the two Entra app registrations the templates declare (Microsoft Graph Bicep
 * extension). Each check returns its findings, empty when the template is right; the tests run them
 * on the real templates and on copies with one property removed, to prove each check can fail.
 *
 * The registrations are found the way the service meets them: through the Function App settings
 * PINRESET_SERVICE_APP_ID and PINRESET_CLIENT_APP_ID, which must resolve to `<app>.appId` of a
 * `Microsoft.Graph/applications` resource.
 */
import {
  appSettings,
  arrayItems,
  deployedResources,
  dereference,
  literal,
  property,
  propertyPath,
  referencedResource,
  resolve,
  resources,
  template,
  type Bound,
  type Infra,
  type Node,
  type ResourceDeclaration,
  type Scope,
} from './bicep-tree.js';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AppRegistrations {
  /** The file declaring them, with its parameters bound to main.bicep's arguments. */
  scope: Scope;
  service: ResourceDeclaration;
  client: ResourceDeclaration;
}

export type Found<T> = { found: T; problems: [] } | { found: undefined; problems: string[] };

function appBehindSetting(infra: Infra, setting: string): { app?: ResourceDeclaration; bound?: Bound; problem?: string } {
  const bound = appSettings(infra).get(setting);
  if (!bound) return { problem: `app setting ${setting} is not set` };
  const resolved = resolve(bound.node, bound.scope);
  const app = referencedResource(resolved.node, resolved.scope.file);
  if (app?.type !== 'Microsoft.Graph/applications' || app.existing || resolved.node.text !== `${app.symbolicName}.appId`) {
    return {
      problem: `app setting ${setting} is ${resolved.node.text} (${resolved.scope.file.path}), not the appId of an app registration the template creates`,
    };
  }
  return { app, bound: resolved };
}

/** The service and client app registrations, from the settings that name them. */
export function appRegistrations(infra: Infra): Found<AppRegistrations> {
  const service = appBehindSetting(infra, 'PINRESET_SERVICE_APP_ID');
  const client = appBehindSetting(infra, 'PINRESET_CLIENT_APP_ID');
  const problems = [service.problem, client.problem].filter((problem): problem is string => problem !== undefined);
  if (!service.app || !client.app || !service.bound) return { found: undefined, problems };
  if (service.app === client.app || service.app.node === client.app.node) {
    return { found: undefined, problems: ['PINRESET_SERVICE_APP_ID and PINRESET_CLIENT_APP_ID name the same app registration'] };
  }
  return { found: { scope: service.bound.scope, service: service.app, client: client.app }, problems: [] };
}

// ---------------------------------------------------------------------------------------------
// Small readers

function propertyValue(resource: ResourceDeclaration, path: string, scope: Scope): Node | undefined {
  const node = propertyPath(resource.body, path);
  return node ? dereference(node, scope).node : undefined;
}

function literalAt(resource: ResourceDeclaration, path: string, scope: Scope): unknown {
  return literal(propertyValue(resource, path, scope));
}

function itemsAt(resource: ResourceDeclaration, path: string, scope: Scope): Node[] {
  return arrayItems(propertyValue(resource, path, scope));
}

/** The literal a possibly missing expression gives, through variables and parameters. */
function literalOf(node: Node | undefined, scope: Scope): unknown {
  return node ? literal(dereference(node, scope).node) : undefined;
}

/** The items of a possibly missing array expression, through variables and parameters. */
function itemsOf(node: Node | undefined, scope: Scope): Node[] {
  return node ? arrayItems(dereference(node, scope).node) : [];
}

/** A GUID written as a literal (directly or through a variable): stable across deployments. */
function stableGuid(node: Node | undefined, scope: Scope): string | undefined {
  const value = node ? literal(dereference(node, scope).node) : undefined;
  return typeof value === 'string' && GUID.test(value) ? value : undefined;
}

function name(resource: ResourceDeclaration): string {
  return `${resource.file.path}:${resource.symbolicName}`;
}

// ---------------------------------------------------------------------------------------------
// The checks

export function extensionFindings(infra: Infra, bicepconfig: { extensions?: Record<string, string> }): string[] {
  const findings: string[] = [];
  const reference = bicepconfig.extensions?.microsoftGraphV1;
  if (!reference || !/^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/.test(reference)) {
    findings.push(`bicepconfig.json must pin microsoftGraphV1 to a released v1.0 type version, found ${reference ?? 'nothing'}`);
  }
  for (const file of infra.values()) {
    const graph = resources(file).filter((resource) => resource.type.startsWith('Microsoft.Graph/'));
    if (graph.length === 0) continue;
    if (!file.extensions.includes('microsoftGraphV1')) findings.push(`${file.path} declares Microsoft.Graph resources without \`extension microsoftGraphV1\``);
    for (const resource of graph) {
      if (resource.apiVersion !== 'v1.0') findings.push(`${name(resource)} uses ${resource.type}@${resource.apiVersion}, not @v1.0`);
    }
  }
  return findings;
}

export function uniqueNameFindings({ scope, service, client }: AppRegistrations): string[] {
  const findings: string[] = [];
  const names = [service, client].map((app) => {
    const node = property(app.body, 'uniqueName');
    if (!node) findings.push(`${name(app)} has no uniqueName: a redeploy would create another app instead of updating this one`);
    return node ? template(node, scope) : undefined;
  });
  if (names[0] !== undefined && names[0] === names[1]) findings.push('both app registrations have the same uniqueName');
  return findings;
}

export function multiTenantFindings({ scope, service, client }: AppRegistrations): string[] {
  return [service, client]
    .filter((app) => literalAt(app, 'signInAudience', scope) !== 'AzureADMultipleOrgs')
    .map((app) => `${name(app)}: signInAudience must be AzureADMultipleOrgs (every customer tenant signs in and consents)`);
}

export function servicePrincipalFindings({ scope, service, client }: AppRegistrations): string[] {
  const principals = resources(scope.file).filter((resource) => resource.type === 'Microsoft.Graph/servicePrincipals' && !resource.existing);
  return [service, client].flatMap((app) => {
    const principal = principals.find((candidate) => property(candidate.body, 'appId')?.text === `${app.symbolicName}.appId`);
    if (!principal) return [`${name(app)} has no service principal in the home tenant`];
    return principal.conditional ? [`${name(principal)} is conditional`] : [];
  });
}

/** The service principal the template creates for `app`. */
export function servicePrincipalOf({ scope }: AppRegistrations, app: ResourceDeclaration): ResourceDeclaration | undefined {
  return resources(scope.file).find(
    (resource) =>
      resource.type === 'Microsoft.Graph/servicePrincipals' && !resource.existing && property(resource.body, 'appId')?.text === `${app.symbolicName}.appId`,
  );
}

export function federatedCredentialFindings(registrations: AppRegistrations, tokenExchangeAudiences: Readonly<Record<string, string>>): string[] {
  const { scope, service } = registrations;
  const credentials = resources(scope.file).filter(
    (resource) =>
      resource.type === 'Microsoft.Graph/applications/federatedIdentityCredentials' &&
      template(property(resource.body, 'name') ?? resource.node, scope).startsWith(`\${${service.symbolicName}.uniqueName}/`),
  );
  if (credentials.length !== 1) return [`the service app needs exactly one federated identity credential, found ${credentials.length}`];
  const [credential] = credentials as [ResourceDeclaration];
  const findings: string[] = [];
  if (credential.conditional) findings.push('the federated identity credential is conditional');

  const issuer = property(credential.body, 'issuer');
  const expectedIssuer = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0';
  if (!issuer || template(issuer, scope) !== expectedIssuer) {
    findings.push(
      `federated credential issuer must be ${expectedIssuer} (the managed identity's token issuer), found ${issuer ? template(issuer, scope) : 'nothing'}`,
    );
  }

  // subject: the principal id of the identity the Function App runs as.
  const subject = property(credential.body, 'subject');
  const subjectSource = subject ? dereference(subject, scope) : undefined;
  const identity = subjectSource ? resolve(subjectSource.node, subjectSource.scope) : undefined;
  const identityResource = identity ? referencedResource(identity.node, identity.scope.file) : undefined;
  if (
    subjectSource?.node.text !== 'identity.outputs.principalId' ||
    identityResource?.type !== 'Microsoft.ManagedIdentity/userAssignedIdentities' ||
    identity?.node.text !== `${identityResource.symbolicName}.properties.principalId`
  ) {
    findings.push(
      `federated credential subject must be the managed identity's principal id (identity.outputs.principalId), found ${subjectSource?.node.text ?? 'nothing'}`,
    );
  }

  // audience: the token-exchange audience of the Entra cloud, as the code asks for it.
  const audiences = arrayItems(property(credential.body, 'audiences'));
  const audience = audiences.length === 1 ? dereference(audiences[0]!, scope) : undefined;
  const lookup = audience?.node.type === 'subscript_expression' ? audience.node : undefined;
  const table = lookup?.childForFieldName('object') ? dereference(lookup.childForFieldName('object')!, audience!.scope).node : undefined;
  const sortedEntries = (entries: [unknown, unknown][]): string => JSON.stringify(entries.sort(([a], [b]) => String(a).localeCompare(String(b))));
  const entries = (table?.namedChildren ?? [])
    .filter((child) => child.type === 'object_property')
    .map((child): [unknown, unknown] => [child.namedChildren[0]?.text, literal(child.namedChildren[1])]);
  if (lookup?.childForFieldName('index')?.text !== 'entraCloud' || sortedEntries(entries) !== sortedEntries(Object.entries(tokenExchangeAudiences))) {
    findings.push(
      `federated credential audience must be the token-exchange audience of PINRESET_CLOUD (${JSON.stringify(tokenExchangeAudiences)}[entraCloud]), found ${audience?.node.text ?? 'nothing'}`,
    );
  }
  return findings;
}

/** Redirect URIs of one platform of an app, each as a template (`${api.outputs.serviceUrl}/portal/`). */
export function redirectUris({ scope }: AppRegistrations, app: ResourceDeclaration, platform: 'web' | 'spa' | 'publicClient'): string[] {
  return itemsAt(app, `${platform}.redirectUris`, scope).map((item) => template(item, scope));
}

export function redirectUriFindings(registrations: AppRegistrations, serviceUrl: string): string[] {
  const { scope, service, client } = registrations;
  const expected: [ResourceDeclaration, 'web' | 'spa' | 'publicClient', string[], string][] = [
    [
      service,
      'web',
      [`${serviceUrl}/onboarding/signin`, `${serviceUrl}/onboarding/callback`],
      'the admin signs in at /onboarding/signin and returns from consent to /onboarding/callback',
    ],
    [client, 'web', [`${serviceUrl}/onboarding/callback`], 'the admin returns from consenting to the client app to /onboarding/callback'],
    [client, 'spa', [`${serviceUrl}/portal/`], 'the admin center signs in at /portal/'],
    [client, 'publicClient', ['http://localhost', 'http://127.0.0.1'], 'loopback sign-in, any port: the agent listens on 127.0.0.1'],
  ];
  const findings = expected.flatMap(([app, platform, uris, why]) => {
    const actual = redirectUris(registrations, app, platform);
    return JSON.stringify(actual) === JSON.stringify(uris)
      ? []
      : [`${name(app)} ${platform} redirect URIs must be ${JSON.stringify(uris)} (${why}), found ${JSON.stringify(actual)}`];
  });
  if (literalAt(client, 'isFallbackPublicClient', scope) !== true)
    findings.push(`${name(client)}: isFallbackPublicClient must be true (a public client: device code flow, no secret)`);
  return findings;
}

export const NO_WIDS =
  'without groupMembershipClaims DirectoryRole (or All) on the service app, Entra emits no `wids` claim in ' +
  "the service's tokens, so no admin would be recognised and every admin would get 403";

export function groupMembershipClaimsFindings({ scope, service }: AppRegistrations): string[] {
  const value = literalAt(service, 'groupMembershipClaims', scope);
  return value === 'DirectoryRole' || value === 'All' ? [] : [`${name(service)}: groupMembershipClaims is ${String(value)}; ${NO_WIDS}`];
}

export const NO_AMR =
  'the service app must ask for v1 access tokens (api.requestedAccessTokenVersion 1): Entra puts `amr` ' +
  '(mfa, ngcmfa) only into v1 access tokens, and without it the MFA check refuses every decrypt with 401 MfaRequired';

export function tokenVersionFindings({ scope, service }: AppRegistrations): string[] {
  return literalAt(service, 'api.requestedAccessTokenVersion', scope) === 1 ? [] : [`${name(service)}: ${NO_AMR}`];
}

export function adminRoleFindings({ scope, service }: AppRegistrations, roleValue: string): string[] {
  const roles = itemsAt(service, 'appRoles', scope).map((item) => dereference(item, scope).node);
  const role = roles.find((item) => literalOf(property(item, 'value'), scope) === roleValue);
  if (!role) return [`${name(service)} defines no app role ${roleValue}`];
  const findings: string[] = [];
  const members = itemsOf(property(role, 'allowedMemberTypes'), scope).map((item) => literal(item));
  if (JSON.stringify(members) !== '["User"]')
    findings.push(`${roleValue}: allowedMemberTypes must be ['User'] (administrators are users), found ${JSON.stringify(members)}`);
  if (!stableGuid(property(role, 'id'), scope))
    findings.push(`${roleValue}: id must be a fixed GUID (assignments refer to it), found ${property(role, 'id')?.text ?? 'nothing'}`);
  if (literal(property(role, 'isEnabled')) !== true) findings.push(`${roleValue}: isEnabled must be true`);
  return findings;
}

/** The delegated scope the service app exposes, by value. */
export function exposedScope({ scope, service }: AppRegistrations, value: string): Node | undefined {
  return itemsAt(service, 'api.oauth2PermissionScopes', scope)
    .map((item) => dereference(item, scope).node)
    .find((item) => literalOf(property(item, 'value'), scope) === value);
}

export function delegatedScopeFindings(registrations: AppRegistrations, value: string): string[] {
  const { scope, service, client } = registrations;
  const exposed = exposedScope(registrations, value);
  if (!exposed) return [`${name(service)} exposes no delegated scope ${value}`];
  const findings: string[] = [];
  const id = stableGuid(property(exposed, 'id'), scope);
  if (!id) findings.push(`${value}: id must be a fixed GUID (clients' required access refers to it)`);
  if (literal(property(exposed, 'type')) !== 'User') findings.push(`${value}: type must be User (users may consent for themselves)`);
  if (literal(property(exposed, 'isEnabled')) !== true) findings.push(`${value}: isEnabled must be true`);
  for (const text of ['adminConsentDisplayName', 'adminConsentDescription', 'userConsentDisplayName', 'userConsentDescription']) {
    const node = property(exposed, text);
    const shown = literalOf(node, scope);
    if (typeof shown !== 'string' || shown.trim() === '') findings.push(`${value}: ${text} must be set (the consent page shows it)`);
  }

  const access = itemsAt(client, 'requiredResourceAccess', scope)
    .map((item) => dereference(item, scope).node)
    .find((item) => property(item, 'resourceAppId')?.text === `${service.symbolicName}.appId`);
  const requested = arrayItems(access ? property(access, 'resourceAccess') : undefined)
    .map((item) => dereference(item, scope).node)
    .map((item) => ({ id: stableGuid(property(item, 'id'), scope), type: literal(property(item, 'type')) }));
  if (!id || JSON.stringify(requested) !== JSON.stringify([{ id, type: 'Scope' }])) {
    findings.push(
      `${name(client)} must require exactly the service app's ${value} scope (requiredResourceAccess ${service.symbolicName}.appId → ${id ?? '?'} Scope), found ${JSON.stringify(requested)}`,
    );
  }
  return findings;
}

/** Graph application permission ids (app role ids) the service app requires, as written. */
export function graphApplicationPermissions({ scope, service }: AppRegistrations): { id: string | undefined; type: unknown }[] {
  const graph = itemsAt(service, 'requiredResourceAccess', scope)
    .map((item) => dereference(item, scope).node)
    .find((item) => literalOf(property(item, 'resourceAppId'), scope) === GRAPH_APP_ID);
  return arrayItems(graph ? property(graph, 'resourceAccess') : undefined)
    .map((item) => dereference(item, scope).node)
    .map((item) => ({ id: stableGuid(property(item, 'id'), scope), type: literal(property(item, 'type')) }));
}

export function graphPermissionFindings(registrations: AppRegistrations, expectedRoleIds: readonly string[]): string[] {
  const actual = graphApplicationPermissions(registrations);
  const expected = [...expectedRoleIds].sort().map((id) => ({ id, type: 'Role' }));
  const sorted = [...actual].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return JSON.stringify(sorted) === JSON.stringify(expected)
    ? []
    : [
        `${name(registrations.service)} must require exactly the Microsoft Graph application permissions ${JSON.stringify(expected)} (what shared/identity/graph-client.ts calls), found ${JSON.stringify(actual)}`,
      ];
}

/** The optional home-tenant grants: conditional on grantHomeTenantConsent, and equal to what onboarding grants. */
export function homeTenantConsentFindings(registrations: AppRegistrations, scopeValue: string): string[] {
  const { scope, service, client } = registrations;
  const findings: string[] = [];
  const graph = resources(scope.file).find(
    (resource) =>
      resource.type === 'Microsoft.Graph/servicePrincipals' && resource.existing && literalOf(property(resource.body, 'appId'), scope) === GRAPH_APP_ID,
  );
  const serviceSp = servicePrincipalOf(registrations, service);
  const clientSp = servicePrincipalOf(registrations, client);
  const conditionOf = (resource: ResourceDeclaration): string | undefined =>
    resource.node.namedChildren.find((child) => child.type === 'if_statement')?.namedChildren[0]?.text;

  const assignments = deployedResources(registrations.scope.infra, 'Microsoft.Graph/appRoleAssignedTo');
  const granted = assignments.map((assignment) => stableGuid(property(assignment.body, 'appRoleId'), scope)).sort();
  const required = graphApplicationPermissions(registrations)
    .map((permission) => permission.id)
    .sort();
  if (JSON.stringify(granted) !== JSON.stringify(required))
    findings.push(`home-tenant app role assignments ${JSON.stringify(granted)} differ from the required Graph permissions ${JSON.stringify(required)}`);
  for (const assignment of assignments) {
    if (conditionOf(assignment) !== '(grantHomeTenantConsent)')
      findings.push(`${name(assignment)} must be conditional on grantHomeTenantConsent (it needs a privileged role)`);
    if (!graph || property(assignment.body, 'resourceId')?.text !== `${graph.symbolicName}.id`)
      findings.push(`${name(assignment)} must grant on Microsoft Graph's service principal`);
    if (!serviceSp || property(assignment.body, 'principalId')?.text !== `${serviceSp.symbolicName}.id`)
      findings.push(`${name(assignment)} must grant to the service app's service principal`);
  }

  const grants = deployedResources(registrations.scope.infra, 'Microsoft.Graph/oauth2PermissionGrants');
  if (grants.length !== 1) return [...findings, `expected one home-tenant delegated grant (client → service ${scopeValue}), found ${grants.length}`];
  const [grant] = grants as [ResourceDeclaration];
  if (conditionOf(grant) !== '(grantHomeTenantConsent)') findings.push(`${name(grant)} must be conditional on grantHomeTenantConsent`);
  if (!clientSp || property(grant.body, 'clientId')?.text !== `${clientSp.symbolicName}.id`)
    findings.push(`${name(grant)} must grant to the client app's service principal`);
  if (!serviceSp || property(grant.body, 'resourceId')?.text !== `${serviceSp.symbolicName}.id`)
    findings.push(`${name(grant)} must grant on the service app's service principal`);
  if (literal(property(grant.body, 'consentType')) !== 'AllPrincipals') findings.push(`${name(grant)}: consentType must be AllPrincipals`);
  if (literalOf(property(grant.body, 'scope'), scope) !== scopeValue) findings.push(`${name(grant)}: scope must be ${scopeValue}`);
  return findings;
}

/** The settings the service reads its registrations from come from the app resources themselves. */
export function settingFindings(infra: Infra, registrations: AppRegistrations): string[] {
  const bound = appSettings(infra).get('PINRESET_SERVICE_APP_ID_URI');
  const resolved = bound ? resolve(bound.node, bound.scope) : undefined;
  const expected = `${registrations.service.symbolicName}.identifierUris[0]`;
  if (resolved?.node.text === expected && resolved.scope.file === registrations.scope.file) return [];
  return [`app setting PINRESET_SERVICE_APP_ID_URI must be the service app's ${expected}, found ${resolved?.node.text ?? 'nothing'}`];
}
