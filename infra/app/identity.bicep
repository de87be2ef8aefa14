// The one identity of the service: a user-assigned managed identity.
// The Function App runs as it (storage, Key Vault, Application Insights ingestion), and the service
// app registration trusts it through a federated identity credential for Microsoft Graph app-only
// tokens (see infra/README.md), so no client secret or certificate exists anywhere.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string = resourceGroup().location

param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output resourceId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output tenantId string = identity.properties.tenantId
