// The PIN reset service: a Linux Function App on the Flex Consumption plan (FC1), Node 22, running as
// the user-assigned managed identity. Everything it reaches (host storage, deployment package, tables,
// Key Vault, Application Insights) is reached by that identity: no keys, no secrets in settings.
// Its app settings are written by app/settings.bicep, once the app registrations exist: those need
// this app's URL for their redirect URIs, and the settings need their ids.

param name string
param planName string

@description('Azure region.')
param location string = resourceGroup().location

param tags object = {}

@description('azd service name this app deploys (matches azure.yaml).')
param serviceName string = 'api'

@description('Resource id of the user-assigned managed identity.')
param identityId string

param storageAccountName string
param deploymentContainerName string

@description('Public origin of the service when it is served from a custom domain; empty means https://<default host name>.')
param publicBaseUrl string = ''

@description('Memory per instance, MB (Flex Consumption: 512, 2048 or 4096).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of instances the app scales out to (Flex Consumption).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Concurrent HTTP requests one instance handles before the platform adds another.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // No ftpsState (nor alwaysOn, use32BitWorkerProcess, …): Flex Consumption has no FTP(S) and ARM
    // rejects those site properties on a Flex app ("Flex Consumption plan deprecations" in the Azure
    // Functions app settings reference). Publishing is closed by the basic-auth policies below.
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// No basic-auth publishing (FTP or SCM): azd deploys with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// One trailing slash forgiven: every redirect URI is `${serviceUrl}/…`, and the code strips trailing
// slashes from PINRESET_PUBLIC_BASE_URL, so `https://pinreset.contoso.com/` must not become `…//…`.
var publicBaseOrigin = endsWith(publicBaseUrl, '/') ? substring(publicBaseUrl, 0, length(publicBaseUrl) - 1) : publicBaseUrl
var serviceUrl = !empty(publicBaseOrigin) ? publicBaseOrigin : 'https://${functionApp.properties.defaultHostName}'

output name string = functionApp.name
output resourceId string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output serviceUrl string = serviceUrl
output planName string = plan.name
