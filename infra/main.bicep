// PIN reset service on Azure: `azd up` provisions this at subscription scope.
//
//   resource group
//   ├─ user-assigned managed identity ─── the only principal the app runs as
//   ├─ storage account (shared keys off) ─ Functions host storage, deployment package, service tables
//   ├─ Key Vault (RBAC, purge protection) ─ RSA key-encryption key for tenant protector keys
//   ├─ Log Analytics + Application Insights (local auth off, identity-based ingestion)
//   ├─ Flex Consumption plan (FC1) + Linux Function App, Node 22
//   └─ role assignments for the identity (storage blob/table, metrics publisher, KEK wrap/unwrap)
//
//   home tenant (Microsoft Graph Bicep extension, app/registrations.bicep)
//   ├─ service app registration + service principal ─ the API; trusts the identity (federated credential)
//   └─ client app registration + service principal ── public client of the agent and the admin center
//
// Order: identity → Function App (its URL) → app registrations (redirect URIs, federated credential)
// → app settings (the registrations' ids). infra/README.md says what stays manual.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the resource group name.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

// --- The two app registrations (app/registrations.bicep; infra/README.md) ---

@description('App ID URI of the service app registration on a verified domain, in a format Entra accepts for it, e.g. api://contoso.com/pinreset or https://pinreset.contoso.com; empty means api://<tenant id>/<service app unique name>.')
param serviceAppIdUri string = ''

@description('Also grant, in the home tenant, the consent each customer tenant grants at onboarding (Graph application permissions, the client app\'s access to the service). The deploying identity then needs Privileged Role Administrator or Global Administrator.')
param grantHomeTenantConsent bool = false

// --- Service behaviour ---

@description('Directory role template ids (comma-separated) treated as PIN reset administrators.')
param adminRoleIds string = '62e90394-69f5-4237-9190-012177145e10,9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3,158c047a-c907-4556-b7ef-446551a6b5f7,3a2c62db-5318-420d-8d74-23affee5d9d5'

@description('Directory role template ids (comma-separated) allowed to reset device passcodes and read devices.')
param passcodeResetRoleIds string = '62e90394-69f5-4237-9190-012177145e10,9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3,158c047a-c907-4556-b7ef-446551a6b5f7,3a2c62db-5318-420d-8d74-23affee5d9d5,729827e3-9c14-49f7-bb1b-9608f156bbb8'

@description('Decrypt attempts one user may make per rate-limit window, across all instances (0 = no limit).')
@minValue(0)
param decryptLimitPerUser int = 10

@description('Decrypt attempts one tenant may make per rate-limit window, across all instances (0 = no limit).')
@minValue(0)
param decryptLimitPerTenant int = 1000

@description('Length in seconds of the fixed decrypt rate-limit window.')
@minValue(1)
param decryptLimitWindowSeconds int = 3600

@description('Public origin when a custom domain fronts the app (a trailing slash is dropped); empty means https://<function app default host name>.')
param publicBaseUrl string = ''

@description('Further app settings (optional ones such as PINRESET_MFA_AUTH_CONTEXT_ID). They cannot override the settings this template sets.')
param additionalAppSettings object = {}

// --- Sizing and lifecycle ---

@description('Upper bound of Function App instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per Function App instance, MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Key Vault tier: premium keeps the KEK in an HSM.')
@allowed([
  'standard'
  'premium'
])
param keyVaultSkuName string = 'standard'

@description('Recover a soft-deleted Key Vault of the same name (needed after azd down: purge protection keeps it).')
param keyVaultRecoverSoftDeleted bool = false

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  workload: 'pin-reset'
}

var functionAppName = '${abbrs.webSitesFunctions}pinreset-${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// The Azure cloud this deploys to is the Entra/Graph cloud of the service, with no override: the
// Graph extension creates the app registrations in this cloud's Entra ID, and the managed identity's
// tokens (the federated credential's issuer) come from it. Any other PINRESET_CLOUD would point the
// service, and its token-exchange audience, at an Entra ID where its apps do not exist.
var azureCloud = environment().name
var entraCloud = azureCloud == 'AzureUSGovernment' ? 'usGovernment' : (azureCloud == 'AzureChinaCloud' ? 'china' : 'public')

// The audience the managed identity asks for when it makes the service app's client assertion; the
// code picks it by PINRESET_CLOUD (TOKEN_EXCHANGE_AUDIENCE in shared/identity/app-token-provider.ts).
var tokenExchangeAudiences = {
  public: 'api://AzureADTokenExchange'
  usGovernment: 'api://AzureADTokenExchangeUSGov'
  china: 'api://AzureADTokenExchangeChina'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}pinreset-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    skuName: storageSkuName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    skuName: keyVaultSkuName
    recoverSoftDeleted: keyVaultRecoverSoftDeleted
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    kekName: keyVault.outputs.kekName
    principalId: identity.outputs.principalId
  }
}

// The service's own settings: every `requiredInAzure` entry of SETTINGS in shared/config.ts is set
// here or in app/settings.bicep (test/infra checks it, so the two cannot drift apart).
var serviceSettings = {
  PINRESET_CLOUD: entraCloud
  PINRESET_SERVICE_APP_ID: registrations.outputs.serviceAppId
  PINRESET_SERVICE_APP_ID_URI: registrations.outputs.serviceAppIdUri
  PINRESET_CLIENT_APP_ID: registrations.outputs.clientAppId
  PINRESET_ADMIN_ROLE_IDS: adminRoleIds
  PINRESET_PASSCODE_RESET_ROLE_IDS: passcodeResetRoleIds
  PINRESET_DECRYPT_LIMIT_PER_USER: string(decryptLimitPerUser)
  PINRESET_DECRYPT_LIMIT_PER_TENANT: string(decryptLimitPerTenant)
  PINRESET_DECRYPT_LIMIT_WINDOW_SECONDS: string(decryptLimitWindowSeconds)
  // No trailing slash: the tables client appends /<table>.
  TABLES_ENDPOINT: 'https://${storage.outputs.name}.table.${environment().suffixes.storage}'
  // Versionless: wraps use the key's current version; each wrapped key records the version it used.
  PINRESET_KEY_VAULT_KEY_ID: keyVault.outputs.kekUri
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    publicBaseUrl: publicBaseUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// The app registrations live in the tenant, not in the resource group; the module needs a scope all
// the same. Their unique names follow the environment, like every other resource name.
module registrations 'app/registrations.bicep' = {
  name: 'registrations'
  scope: rg
  params: {
    serviceAppUniqueName: 'pinreset-service-${resourceToken}'
    clientAppUniqueName: 'pinreset-client-${resourceToken}'
    serviceAppIdUri: serviceAppIdUri
    serviceUrl: api.outputs.serviceUrl
    identityPrincipalId: identity.outputs.principalId
    tokenExchangeAudience: tokenExchangeAudiences[entraCloud]
    grantHomeTenantConsent: grantHomeTenantConsent
  }
}

module settings 'app/settings.bicep' = {
  name: 'settings'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    serviceUrl: api.outputs.serviceUrl
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceSettings: union(additionalAppSettings, serviceSettings)
  }
  // Start the app (give the host its settings) only once its identity can reach storage, Key Vault
  // and Application Insights.
  dependsOn: [
    rbac
  ]
}

// azd stores these in the environment (.azure/<env>/.env); none of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.serviceUrl
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.vaultUri
output AZURE_KEY_VAULT_KEK_ID string = keyVault.outputs.kekUri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output PINRESET_CLOUD string = entraCloud
output SERVICE_APP_ID string = registrations.outputs.serviceAppId
output SERVICE_APP_ID_URI string = registrations.outputs.serviceAppIdUri
output CLIENT_APP_ID string = registrations.outputs.clientAppId
