// Key Vault holding the key-encryption key (KEK) that wraps every tenant's protector key.
// RBAC mode (no access policies), soft delete and purge protection: losing the KEK would make every
// wrapped tenant key unrecoverable, so it must survive an accidental delete of the vault or the key.
// The private part of the KEK never leaves Key Vault; the app calls wrapKey/unwrapKey.

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string = resourceGroup().location

param tags object = {}

@description('Name of the RSA key-encryption key.')
param kekName string = 'tenant-key-encryption-key'

@description('Days a deleted vault or key can be recovered (purge protection keeps them that long).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Set to true to recover a soft-deleted vault of the same name (after azd down) instead of creating one.')
param recoverSoftDeleted bool = false

@description('premium stores the KEK in an HSM (RSA-HSM); standard uses software-protected keys.')
@allowed([
  'standard'
  'premium'
])
param skuName string = 'standard'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: skuName
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    createMode: recoverSoftDeleted ? 'recover' : 'default'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// Created once: ARM does not add versions or change an existing key on redeploy, so `azd up` is safe
// to run again. Rotation adds a new version (see infra/README.md).
resource kek 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: kekName
  properties: {
    kty: skuName == 'premium' ? 'RSA-HSM' : 'RSA'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

output name string = vault.name
output resourceId string = vault.id
output vaultUri string = vault.properties.vaultUri
output kekName string = kek.name
output kekResourceId string = kek.id
// Versionless key identifier: wrap with the current version, unwrap with the version recorded in
// each wrapped key's `kid`.
output kekUri string = kek.properties.keyUri
