// Every data-plane permission the service's managed identity holds, least privilege and scoped to the
// one resource each is for. Names are deterministic guid()s, so redeploying never duplicates them.

param storageAccountName string
param applicationInsightsName string
param keyVaultName string
param kekName string

@description('Object (principal) id of the app\'s user-assigned managed identity.')
param principalId string

// Built-in role definition ids (the same in every Azure cloud).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultCryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource kek 'Microsoft.KeyVault/vaults/keys@2023-07-01' existing = {
  parent: vault
  name: kekName
}

// Functions host storage (blob leases, timer schedules, the deployment package) — the host needs owner
// on blobs. No queue role: HTTP and timer triggers use no queues ("Connecting to host storage with an
// identity": Storage Blob Data Owner is the host's own need; queue roles only come with triggers that
// use queues).
resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The service's own data: tenants, protector keys (wrapped), devices, audit (TABLES_ENDPOINT).
resource storageTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity-based telemetry ingestion (Application Insights has local auth disabled).
resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// wrapKey/unwrapKey with the KEK (and reading its public part, which the SDK's CryptographyClient
// does first), scoped to that one key rather than the whole vault. Key Vault Crypto Service Encryption
// User grants exactly keys/read, keys/wrap and keys/unwrap; Key Vault Crypto User would add
// keys/update (disable the KEK, change its operations), backup, encrypt, decrypt, sign and verify.
resource keyVaultCryptoServiceEncryptionUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(kek.id, principalId, roles.keyVaultCryptoServiceEncryptionUser)
  scope: kek
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoServiceEncryptionUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
