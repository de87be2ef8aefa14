// The Function App's app settings: the full, authoritative list (a deploy replaces settings not
// listed here). A module of its own because the service settings carry the app registrations' ids,
// and the registrations need the Function App's URL first (app/api.bicep → app/registrations.bicep
// → here).

@description('Name of the Function App (app/api.bicep).')
param functionAppName string

@description('Public origin of the service, no trailing slash (app/api.bicep output serviceUrl).')
param serviceUrl string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

param storageAccountName string
param applicationInsightsName string

@description('Settings of the service itself (PINRESET_*, TABLES_ENDPOINT, key custody); merged over the host settings below.')
param serviceSettings object

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// What the Functions host itself needs. No AzureWebJobsStorage connection string and no
// FUNCTIONS_WORKER_RUNTIME: Flex Consumption takes the runtime from functionAppConfig and rejects it.
// Blob (leases, timer schedules) and table (diagnostic events) endpoints only: no trigger uses queues.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// Settings that depend on the site (its host name) or on the identity it runs as.
var siteSettings = {
  PINRESET_PUBLIC_BASE_URL: serviceUrl
  AZURE_CLIENT_ID: identityClientId
  PINRESET_DEV_MODE: 'false'
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(serviceSettings, hostSettings, siteSettings)
}
