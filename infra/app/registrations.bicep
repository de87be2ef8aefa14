// The two multi-tenant Entra app registrations of the PIN reset service and their service principals
// in the home tenant (the tenant this deployment runs in), declared with the Microsoft Graph Bicep
// extension (infra/bicepconfig.json pins its version).
//
//   service app ── the API. Access tokens for the service carry its id or App ID URI as audience.
//                  Exposes the delegated scope `user_impersonation` and the app role
//                  `PinReset.Administrator`; signs the onboarding admin in (web redirect
//                  /onboarding/signin) as a confidential client whose only credential is the Function
//                  App's managed identity (federated identity credential); reads Microsoft Graph
//                  app-only in every onboarded tenant.
//   client app  ── a public client: the device agent (device code, loopback redirect) and the admin
//                  center (SPA redirect /portal/) sign in with it for `user_impersonation`.
//
// Both take part in onboarding: each tenant's admin consents to both, and Entra sends the admin back
// to /onboarding/callback, so both carry that web redirect URI.

extension microsoftGraphV1

@description('Immutable alternate key (Graph uniqueName) of the service app registration.')
param serviceAppUniqueName string

@description('Immutable alternate key (Graph uniqueName) of the client app registration.')
param clientAppUniqueName string

@description('Display name of the service app: customers see it on the consent page and under Enterprise applications.')
param serviceAppDisplayName string = 'PIN reset service'

@description('Display name of the client app: users see it when they sign in.')
param clientAppDisplayName string = 'PIN reset client'

@description('App ID URI of the service app; empty means api://<tenant id>/<service app unique name>.')
param serviceAppIdUri string = ''

@description('Public origin of the service, no trailing slash: every redirect URI hangs off it.')
param serviceUrl string

@description('Principal (object) id of the user-assigned managed identity the Function App runs as.')
param identityPrincipalId string

@description('Audience the managed identity asks for when it makes the client assertion (per cloud).')
param tokenExchangeAudience string

@description('Also grant, in the home tenant, what each customer tenant grants at onboarding: the Graph application permissions and the client app\'s delegated access to the service. Needs Privileged Role Administrator (or Global Administrator) rights of the deploying identity.')
param grantHomeTenantConsent bool = false

// Microsoft Graph and the application permissions (app roles) the service uses app-only in each
// onboarded tenant (shared/identity/graph-client.ts):
var graphAppId = '00000003-0000-0000-c000-000000000000'
// GET /v1.0/servicePrincipals(appId='…'): both service principals exist in the tenant.
var applicationReadAllRoleId = '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30' // Application.Read.All
// GET /v1.0/organization: the tenant's display name and verified domains.
var organizationReadAllRoleId = '498476ce-e0fe-48b0-b801-37ba7e2685c6' // Organization.Read.All

// Stable ids: clients, consent grants and app role assignments refer to these, so they never change.
var userImpersonationScopeId = 'fc9d668f-b976-427d-93a6-784f8ae6c6ce'
var userImpersonationScope = 'user_impersonation'
var administratorRoleId = 'b857cd35-22e2-429a-8055-040dc3942c56'

// A multi-tenant app's App ID URI must be globally unique: api://<tenant id>/<string> is one of the
// formats Entra accepts for it (api://<app id> would need the app id before the app exists).
var appIdUri = !empty(serviceAppIdUri) ? serviceAppIdUri : 'api://${tenant().tenantId}/${serviceAppUniqueName}'

// The issuer of the managed identity's tokens: the home tenant's v2.0 issuer in this Azure cloud.
var managedIdentityIssuer = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

resource serviceApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: serviceAppUniqueName
  displayName: serviceAppDisplayName
  signInAudience: 'AzureADMultipleOrgs'
  identifierUris: [
    appIdUri
  ]
  // Entra puts `wids` (the user's directory role template ids) into the service's tokens only when
  // this is DirectoryRole or All; the admin checks read `wids`.
  groupMembershipClaims: 'DirectoryRole'
  // The deploying identity owns the registrations, so it can update them on the next provision.
  owners: {
    relationships: [
      deployer().objectId
    ]
  }
  api: {
    // v1 access tokens: Entra emits `amr` (how the user signed in, e.g. mfa) only in v1 access
    // tokens, and the decrypt route's MFA check reads it. The service accepts v1 and v2 tokens.
    requestedAccessTokenVersion: 1
    oauth2PermissionScopes: [
      {
        id: userImpersonationScopeId
        value: userImpersonationScope
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use the PIN reset service'
        adminConsentDescription: 'Lets the PIN reset client and the admin center call the PIN reset service as the signed-in user: reset the user\'s own Windows Hello PIN, and for administrators manage the tenant\'s PIN reset settings, keys and devices.'
        userConsentDisplayName: 'Use the PIN reset service'
        userConsentDescription: 'Lets the PIN reset client reset your Windows Hello PIN through the PIN reset service, as you.'
      }
    ]
  }
  appRoles: [
    {
      id: administratorRoleId
      value: 'PinReset.Administrator'
      displayName: 'PIN reset administrator'
      description: 'Administers the PIN reset service for the tenant: onboarding, settings, keys, device passcode reset and the audit log.'
      allowedMemberTypes: [
        'User'
      ]
      isEnabled: true
    }
  ]
  web: {
    redirectUris: [
      '${serviceUrl}/onboarding/signin'
      '${serviceUrl}/onboarding/callback'
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [
        {
          id: applicationReadAllRoleId
          type: 'Role'
        }
        {
          id: organizationReadAllRoleId
          type: 'Role'
        }
      ]
    }
  ]
}

// The service app's only credential: tokens of the Function App's managed identity. No secret or
// certificate exists anywhere.
resource serviceAppTrustsManagedIdentity 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${serviceApp.uniqueName}/function-app-managed-identity'
  description: 'The PIN reset Function App\'s user-assigned managed identity'
  issuer: managedIdentityIssuer
  subject: identityPrincipalId
  audiences: [
    tokenExchangeAudience
  ]
}

resource clientApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: clientAppUniqueName
  displayName: clientAppDisplayName
  signInAudience: 'AzureADMultipleOrgs'
  // A public client (no secret): allows the device code flow.
  isFallbackPublicClient: true
  owners: {
    relationships: [
      deployer().objectId
    ]
  }
  publicClient: {
    // Loopback for authorization code + PKCE (`pinreset-agent login --browser` listens on
    // 127.0.0.1, as RFC 8252 recommends; other tools use localhost): Entra ignores the port.
    redirectUris: [
      'http://localhost'
      'http://127.0.0.1'
    ]
  }
  spa: {
    // The admin center (authorization code + PKCE in the browser).
    redirectUris: [
      '${serviceUrl}/portal/'
    ]
  }
  web: {
    // Where Entra returns the admin after consenting to this app during onboarding.
    redirectUris: [
      '${serviceUrl}/onboarding/callback'
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: serviceApp.appId
      resourceAccess: [
        {
          id: userImpersonationScopeId
          type: 'Scope'
        }
      ]
    }
  ]
}

resource serviceServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: serviceApp.appId
}

resource clientServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: clientApp.appId
}

// --- Optional: the home tenant's consent, as onboarding would grant it (grantHomeTenantConsent) ---

resource graphServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource grantApplicationReadAll 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (grantHomeTenantConsent) {
  principalId: serviceServicePrincipal.id
  resourceId: graphServicePrincipal.id
  appRoleId: applicationReadAllRoleId
}

resource grantOrganizationReadAll 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (grantHomeTenantConsent) {
  principalId: serviceServicePrincipal.id
  resourceId: graphServicePrincipal.id
  appRoleId: organizationReadAllRoleId
}

resource grantClientUserImpersonation 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantHomeTenantConsent) {
  clientId: clientServicePrincipal.id
  resourceId: serviceServicePrincipal.id
  consentType: 'AllPrincipals'
  scope: userImpersonationScope
}

output serviceAppId string = serviceApp.appId
output serviceAppIdUri string = serviceApp.identifierUris[0]
output clientAppId string = clientApp.appId
output serviceServicePrincipalId string = serviceServicePrincipal.id
output clientServicePrincipalId string = clientServicePrincipal.id
