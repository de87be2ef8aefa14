import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOUD_HOSTS } from '../../shared/config.js';
import { TOKEN_EXCHANGE_AUDIENCE } from '../../shared/identity/app-token-provider.js';
import { ADMINISTRATOR_APP_ROLE } from '../../shared/identity/authorization.js';
import {
  INFRA_DIR,
  REPO_ROOT,
  appSettings,
  arrayItems,
  dereference,
  fileOf,
  loadInfra,
  moduleOutput,
  property,
  propertyNode,
  readInfraText,
  resourceBySymbol,
  syntaxProblems,
  template,
  textWithout,
  type Infra,
  type Node,
} from './bicep-tree.js';
import * as checks from './registration-checks.js';

const infra = loadInfra();
const bicepconfig = JSON.parse(readFileSync(join(INFRA_DIR, 'bicepconfig.json'), 'utf8')) as { extensions?: Record<string, string> };

/** The delegated scope clients request (`<App ID URI>/user_impersonation`). */
const SCOPE = 'user_impersonation';

/** Where every redirect URI hangs off: the Function App's URL (custom domain or default host name). */
const SERVICE_URL = '${api.outputs.serviceUrl}';

/**
 * The Graph calls the service makes app-only (shared/identity/graph-client.ts) and the least
 * privileged application permission for each, by Graph's well-known permission (app role) id.
 */
const GRAPH_PERMISSION_FOR_CALL: Record<string, { permission: string; id: string }> = {
  servicePrincipals: { permission: 'Application.Read.All', id: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30' },
  organization: { permission: 'Organization.Read.All', id: '498476ce-e0fe-48b0-b801-37ba7e2685c6' },
};

function graphCalls(): string[] {
  const client = readFileSync(join(REPO_ROOT, 'shared', 'identity', 'graph-client.ts'), 'utf8');
  return [...new Set([...client.matchAll(/\/v1\.0\/([A-Za-z]+)/g)].map((match) => match[1]!))].sort();
}

function registrationsOf(from: Infra): checks.AppRegistrations {
  const { found, problems } = checks.appRegistrations(from);
  expect(problems).toEqual([]);
  return found!;
}

/** Every check at once: what the tests below run one by one. */
function allFindings(from: Infra): string[] {
  const { found, problems } = checks.appRegistrations(from);
  if (!found) return problems;
  const expectedGraphRoles = graphCalls().map((call) => GRAPH_PERMISSION_FOR_CALL[call]?.id ?? `unknown permission for /v1.0/${call}`);
  return [
    ...checks.extensionFindings(from, bicepconfig),
    ...checks.uniqueNameFindings(found),
    ...checks.multiTenantFindings(found),
    ...checks.servicePrincipalFindings(found),
    ...checks.federatedCredentialFindings(found, TOKEN_EXCHANGE_AUDIENCE),
    ...checks.redirectUriFindings(found, SERVICE_URL),
    ...checks.groupMembershipClaimsFindings(found),
    ...checks.tokenVersionFindings(found),
    ...checks.adminRoleFindings(found, ADMINISTRATOR_APP_ROLE),
    ...checks.delegatedScopeFindings(found, SCOPE),
    ...checks.graphPermissionFindings(found, expectedGraphRoles),
    ...checks.homeTenantConsentFindings(found, SCOPE),
    ...checks.settingFindings(from, found),
  ];
}

describe('App registrations as code (Microsoft Graph Bicep extension)', () => {
  const registrations = registrationsOf(infra);

  it('feeds PINRESET_SERVICE_APP_ID and PINRESET_CLIENT_APP_ID from two app registrations the template creates', () => {
    expect(registrations.scope.file.path).toBe('app/registrations.bicep');
    expect(registrations.service.symbolicName).not.toBe(registrations.client.symbolicName);
    expect(registrations.service.conditional || registrations.client.conditional).toBe(false);
  });

  it("feeds PINRESET_SERVICE_APP_ID_URI from the service app's identifierUris", () => {
    expect(checks.settingFindings(infra, registrations)).toEqual([]);
  });

  it('declares the extension where Graph resources are, pinned in bicepconfig.json to a released v1.0 type version', () => {
    expect(checks.extensionFindings(infra, bicepconfig)).toEqual([]);
    expect(bicepconfig.extensions?.microsoftGraphV1).toBe('br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0');
  });

  it('gives both apps a uniqueName (a redeploy updates them) derived from the environment, and makes them multi-tenant', () => {
    expect(checks.uniqueNameFindings(registrations)).toEqual([]);
    for (const app of [registrations.service, registrations.client]) {
      expect(template(property(app.body, 'uniqueName')!, registrations.scope), `${app.symbolicName}.uniqueName follows the azd environment`).toMatch(
        /^pinreset-(service|client)-\$\{toLower\(uniqueString\(subscription\(\)\.id, environmentName, location\)\)\}$/,
      );
    }
    expect(checks.multiTenantFindings(registrations)).toEqual([]);
  });

  it('creates both service principals in the home tenant', () => {
    expect(checks.servicePrincipalFindings(registrations)).toEqual([]);
  });

  it("lets the service app trust the Function App's managed identity (federated identity credential), per cloud as the code asks", () => {
    expect(checks.federatedCredentialFindings(registrations, TOKEN_EXCHANGE_AUDIENCE)).toEqual([]);
    expect(Object.keys(TOKEN_EXCHANGE_AUDIENCE).sort()).toEqual(Object.keys(CLOUD_HOSTS).sort());
    const main = fileOf(infra, 'main.bicep');
    const api = main.root.namedChildren.find((node) => node.type === 'module_declaration' && node.text.includes("'app/api.bicep'"));
    const apiParams = property(
      api?.namedChildren.find((child) => child.type === 'object'),
      'params',
    );
    expect(property(apiParams, 'identityId')?.text, 'the Function App runs as the same identity').toBe('identity.outputs.resourceId');
  });

  it('registers the redirect URIs of onboarding, the admin center and the agent', () => {
    expect(checks.redirectUriFindings(registrations, SERVICE_URL)).toEqual([]);
  });

  it("takes the redirect URIs' origin from the Function App, the same URL PINRESET_PUBLIC_BASE_URL carries", () => {
    const main = fileOf(infra, 'main.bicep');
    const serviceUrl = main.root.descendantsOfType('member_expression').find((node) => node.text === 'api.outputs.serviceUrl');
    const origin = moduleOutput(serviceUrl!, { infra, file: main });
    expect(origin && dereference(origin.node, origin.scope).node.text).toBe(
      "!empty(publicBaseOrigin) ? publicBaseOrigin : 'https://${functionApp.properties.defaultHostName}'",
    );
    const baseUrl = appSettings(infra).get('PINRESET_PUBLIC_BASE_URL')!;
    expect(dereference(baseUrl.node, baseUrl.scope).node.text).toBe('api.outputs.serviceUrl');
  });

  it("sets groupMembershipClaims to DirectoryRole on the service app, so admins' tokens carry wids", () => {
    const findings = checks.groupMembershipClaimsFindings(registrations);
    expect(findings, checks.NO_WIDS).toEqual([]);
    const value = dereference(property(registrations.service.body, 'groupMembershipClaims')!, registrations.scope).node.text;
    expect(value, checks.NO_WIDS).toBe("'DirectoryRole'");
  });

  it('asks for v1 access tokens, the only ones that carry amr', () => {
    expect(checks.tokenVersionFindings(registrations), checks.NO_AMR).toEqual([]);
  });

  it(`defines the ${ADMINISTRATOR_APP_ROLE} app role for users, with a fixed GUID id`, () => {
    expect(checks.adminRoleFindings(registrations, ADMINISTRATOR_APP_ROLE)).toEqual([]);
  });

  it(`exposes the delegated scope ${SCOPE} with consent texts, and the client app requires exactly it`, () => {
    expect(checks.delegatedScopeFindings(registrations, SCOPE)).toEqual([]);
  });

  it('requires the Graph application permissions for exactly the Graph calls the service makes', () => {
    const calls = graphCalls();
    expect(calls).toEqual(['organization', 'servicePrincipals']);
    for (const call of calls) {
      expect(
        GRAPH_PERMISSION_FOR_CALL[call],
        `a new Graph call /v1.0/${call}: add its least privileged application permission here and to the service app`,
      ).toBeDefined();
    }
    expect(
      checks.graphPermissionFindings(
        registrations,
        calls.map((call) => GRAPH_PERMISSION_FOR_CALL[call]!.id),
      ),
    ).toEqual([]);
  });

  it("grants the home tenant's consent only when asked (grantHomeTenantConsent), exactly as onboarding would", () => {
    expect(checks.homeTenantConsentFindings(registrations, SCOPE)).toEqual([]);
    const main = fileOf(infra, 'main.bicep');
    const flag = main.root.descendantsOfType('parameter_declaration').find((node) => node.namedChildren[0]?.text === 'grantHomeTenantConsent');
    expect(flag?.text).toBe('param grantHomeTenantConsent bool = false');
  });

  it('finds nothing wrong with the templates as they are', () => {
    expect(allFindings(infra)).toEqual([]);
  });
});

/** A mutation of one file: remove the property at `path` of a resource (or the whole resource), or replace text. */
interface Mutation {
  what: string;
  file?: string;
  resource?: string;
  /** Dot path inside the resource body; numbers index arrays; '' removes the whole resource. */
  path?: string;
  replace?: [string, string];
  finding: RegExp;
}

function nodeAt(object: Node | undefined, segments: string[]): Node | undefined {
  let current = object;
  for (const segment of segments) {
    current = /^\d+$/.test(segment) ? arrayItems(current)[Number(segment)] : property(current, segment);
  }
  return current;
}

function mutate(mutation: Mutation): Record<string, string> {
  const path = mutation.file ?? 'app/registrations.bicep';
  const file = fileOf(infra, path);
  if (mutation.replace) {
    const [from, to] = mutation.replace;
    expect(file.text, `${path} contains ${from}`).toContain(from);
    return { [path]: file.text.replace(from, to) };
  }
  const resource = resourceBySymbol(file, mutation.resource!);
  expect(resource, `${path} declares ${mutation.resource}`).toBeDefined();
  const segments = mutation.path ? mutation.path.split('.') : [];
  const last = segments.pop();
  const target =
    last === undefined
      ? resource!.node
      : /^\d+$/.test(last)
        ? arrayItems(nodeAt(resource!.body, segments))[Number(last)]
        : propertyNode(nodeAt(resource!.body, segments), last);
  expect(target, `${mutation.resource}.${mutation.path} exists`).toBeDefined();
  return { [path]: textWithout(file, target!) };
}

const mutations: Mutation[] = [
  { what: 'the extension declaration', replace: ['extension microsoftGraphV1\n', '\n'], finding: /without `extension microsoftGraphV1`/ },
  { what: "the service app's uniqueName", resource: 'serviceApp', path: 'uniqueName', finding: /serviceApp has no uniqueName/ },
  { what: "the client app's uniqueName", resource: 'clientApp', path: 'uniqueName', finding: /clientApp has no uniqueName/ },
  {
    what: "the service app's signInAudience",
    resource: 'serviceApp',
    path: 'signInAudience',
    finding: /serviceApp: signInAudience must be AzureADMultipleOrgs/,
  },
  { what: "the client app's signInAudience", resource: 'clientApp', path: 'signInAudience', finding: /clientApp: signInAudience must be AzureADMultipleOrgs/ },
  { what: "the service app's service principal", resource: 'serviceServicePrincipal', path: '', finding: /serviceApp has no service principal/ },
  { what: "the client app's service principal", resource: 'clientServicePrincipal', path: '', finding: /clientApp has no service principal/ },
  {
    what: 'the federated identity credential',
    resource: 'serviceAppTrustsManagedIdentity',
    path: '',
    finding: /exactly one federated identity credential, found 0/,
  },
  {
    what: "the federated credential's subject",
    resource: 'serviceAppTrustsManagedIdentity',
    path: 'subject',
    finding: /subject must be the managed identity's principal id/,
  },
  { what: "the federated credential's issuer", resource: 'serviceAppTrustsManagedIdentity', path: 'issuer', finding: /issuer must be/ },
  {
    what: "the federated credential's audiences",
    resource: 'serviceAppTrustsManagedIdentity',
    path: 'audiences',
    finding: /audience must be the token-exchange audience/,
  },
  {
    what: "a cloud's token-exchange audience",
    file: 'main.bicep',
    replace: ["  china: 'api://AzureADTokenExchangeChina'\n", ''],
    finding: /audience must be the token-exchange audience/,
  },
  {
    what: "the federated credential trusting the identity's client id instead",
    file: 'main.bicep',
    replace: ['identityPrincipalId: identity.outputs.principalId', 'identityPrincipalId: identity.outputs.clientId'],
    finding: /subject must be the managed identity's principal id/,
  },
  { what: "the service app's /onboarding/signin redirect", resource: 'serviceApp', path: 'web.redirectUris.0', finding: /serviceApp web redirect URIs/ },
  { what: "the service app's web platform", resource: 'serviceApp', path: 'web', finding: /serviceApp web redirect URIs/ },
  { what: "the client app's SPA redirect", resource: 'clientApp', path: 'spa', finding: /clientApp spa redirect URIs/ },
  { what: "the client app's loopback redirects", resource: 'clientApp', path: 'publicClient', finding: /clientApp publicClient redirect URIs/ },
  {
    what: 'the 127.0.0.1 loopback redirect the agent uses',
    resource: 'clientApp',
    path: 'publicClient.redirectUris.1',
    finding: /clientApp publicClient redirect URIs/,
  },
  { what: "the client app's onboarding callback", resource: 'clientApp', path: 'web', finding: /clientApp web redirect URIs/ },
  { what: 'isFallbackPublicClient', resource: 'clientApp', path: 'isFallbackPublicClient', finding: /isFallbackPublicClient must be true/ },
  {
    what: 'groupMembershipClaims',
    resource: 'serviceApp',
    path: 'groupMembershipClaims',
    finding: /no admin would be recognised and every admin would get 403/,
  },
  { what: 'requestedAccessTokenVersion', resource: 'serviceApp', path: 'api.requestedAccessTokenVersion', finding: /only into v1 access tokens/ },
  { what: 'the app roles', resource: 'serviceApp', path: 'appRoles', finding: /defines no app role PinReset\.Administrator/ },
  {
    what: "the app role's allowedMemberTypes",
    resource: 'serviceApp',
    path: 'appRoles.0.allowedMemberTypes',
    finding: /allowedMemberTypes must be \['User'\]/,
  },
  { what: "the app role's id", resource: 'serviceApp', path: 'appRoles.0.id', finding: /PinReset\.Administrator: id must be a fixed GUID/ },
  {
    what: 'a random app role id',
    replace: ["var administratorRoleId = 'b857cd35-22e2-429a-8055-040dc3942c56'", 'var administratorRoleId = newGuid()'],
    finding: /PinReset\.Administrator: id must be a fixed GUID/,
  },
  { what: 'the exposed scopes', resource: 'serviceApp', path: 'api.oauth2PermissionScopes', finding: /exposes no delegated scope user_impersonation/ },
  {
    what: "the scope's user consent description",
    resource: 'serviceApp',
    path: 'api.oauth2PermissionScopes.0.userConsentDescription',
    finding: /userConsentDescription must be set/,
  },
  {
    what: "the scope's admin consent display name",
    resource: 'serviceApp',
    path: 'api.oauth2PermissionScopes.0.adminConsentDisplayName',
    finding: /adminConsentDisplayName must be set/,
  },
  {
    what: "the client app's required access",
    resource: 'clientApp',
    path: 'requiredResourceAccess',
    finding: /clientApp must require exactly the service app's user_impersonation scope/,
  },
  { what: "the service app's Graph permissions", resource: 'serviceApp', path: 'requiredResourceAccess', finding: /Microsoft Graph application permissions/ },
  {
    what: 'Organization.Read.All',
    resource: 'serviceApp',
    path: 'requiredResourceAccess.0.resourceAccess.1',
    finding: /Microsoft Graph application permissions/,
  },
  { what: 'a home-tenant Graph grant', resource: 'grantOrganizationReadAll', path: '', finding: /home-tenant app role assignments .* differ/ },
  {
    what: "the home-tenant grants' condition",
    replace: [
      "resource grantApplicationReadAll 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (grantHomeTenantConsent) {",
      "resource grantApplicationReadAll 'Microsoft.Graph/appRoleAssignedTo@v1.0' = {",
    ],
    finding: /must be conditional on grantHomeTenantConsent/,
  },
  { what: 'the home-tenant delegated grant', resource: 'grantClientUserImpersonation', path: '', finding: /one home-tenant delegated grant/ },
  {
    what: 'PINRESET_SERVICE_APP_ID_URI fed by the parameter',
    file: 'main.bicep',
    replace: ['PINRESET_SERVICE_APP_ID_URI: registrations.outputs.serviceAppIdUri', 'PINRESET_SERVICE_APP_ID_URI: serviceAppIdUri'],
    finding: /PINRESET_SERVICE_APP_ID_URI must be the service app's serviceApp\.identifierUris\[0\]/,
  },
  {
    what: 'PINRESET_CLIENT_APP_ID fed from the app',
    file: 'main.bicep',
    replace: ['PINRESET_CLIENT_APP_ID: registrations.outputs.clientAppId', "PINRESET_CLIENT_APP_ID: '00000000-0000-0000-0000-000000000000'"],
    finding: /PINRESET_CLIENT_APP_ID is '0{8}-.*not the appId of an app registration/,
  },
];

describe('Each app registration check can fail', () => {
  it.each(mutations)('reports the template broken once $what is gone', (mutation) => {
    const overrides = mutate(mutation);
    const broken = loadInfra(overrides);
    for (const [path] of Object.entries(overrides)) expect(syntaxProblems(fileOf(broken, path).root), `${path} still parses`).toEqual([]);
    expect(allFindings(broken)).toEqual(expect.arrayContaining([expect.stringMatching(mutation.finding)]));
  });

  it('reads the real text (the mutations start from the files on disk)', () => {
    expect(fileOf(infra, 'app/registrations.bicep').text).toBe(readInfraText('app/registrations.bicep'));
  });
});
