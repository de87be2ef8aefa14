import { TableClient, TableServiceClient } from '@azure/data-tables';
import type { ServiceConfig } from '../config.js';
import { storageCall } from './storage-errors.js';
import type { TablePipelinePolicy } from './transaction-counter.js';

/** Every table the service uses. Each has exactly one repository module in this folder. */
export const TABLE_NAMES = {
  tenants: 'Tenants',
  tenantSettings: 'TenantSettings',
  onboardingStates: 'OnboardingStates',
  auditEvents: 'AuditEvents',
  protectorKeys: 'ProtectorKeys',
  rateLimits: 'RateLimits',
  devices: 'Devices',
  deviceActions: 'DeviceActions',
  deviceAssertionJtis: 'DeviceAssertionJtis',
  idempotencyKeys: 'IdempotencyKeys',
} as const;

export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES];

/**
 * The one factory for table clients: a connection string locally (Azurite), `TABLES_ENDPOINT` and a
 * managed identity in Azure. Each table is created at most once per process, on first use.
 */
export interface TableStoreOptions {
  /**
   * Extra pipeline policies for every table client, run on each HTTP attempt (retries included):
   * e.g. `TableTransactionCounter.policy` (transaction-counter.ts) in tests and the bench.
   */
  policies?: readonly TablePipelinePolicy[];
}

export class TableStore {
  private readonly clients = new Map<TableName, Promise<TableClient>>();

  constructor(private readonly storage: ServiceConfig['storage'], private readonly options: TableStoreOptions = {}) {}

  table(name: TableName): Promise<TableClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.createTable(name);
      this.clients.set(name, client);
      // A failed creation (storage down) must not poison the cache: the next call tries again.
      client.catch(() => this.clients.delete(name));
    }
    return client;
  }

  /** A cheap round trip used by /health. */
  async ping(): Promise<void> {
    const service = await this.serviceClient();
    await storageCall(async () => {
      for await (const page of service.listTables().byPage({ maxPageSize: 1 })) {
        void page;
        break;
      }
    });
  }

  private async createTable(name: TableName): Promise<TableClient> {
    const client = await this.tableClient(name);
    await storageCall(() => client.createTable());
    return client;
  }

  private async tableClient(name: TableName): Promise<TableClient> {
    const options = {
      allowInsecureConnection: this.isLocal(),
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
      additionalPolicies: this.additionalPolicies(),
    };
    if (this.storage.kind === 'connectionString') return TableClient.fromConnectionString(this.storage.connectionString, name, options);
    const credential = await this.credential();
    return new TableClient(this.storage.endpoint, name, credential, options);
  }

  private async serviceClient(): Promise<TableServiceClient> {
    const options = { allowInsecureConnection: this.isLocal(), retryOptions: { maxRetries: 0 }, additionalPolicies: this.additionalPolicies() };
    if (this.storage.kind === 'connectionString') return TableServiceClient.fromConnectionString(this.storage.connectionString, options);
    return new TableServiceClient(this.storage.endpoint, await this.credential(), options);
  }

  private additionalPolicies() {
    return (this.options.policies ?? []).map((policy) => ({ policy, position: 'perRetry' as const }));
  }

  private isLocal(): boolean {
    return this.storage.kind === 'connectionString';
  }

  /** @azure/identity is loaded only in Azure, keeping it off the local cold-start path. */
  private async credential() {
    if (this.storage.kind !== 'managedIdentity') throw new Error('no managed identity configured');
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return this.storage.clientId ? new ManagedIdentityCredential({ clientId: this.storage.clientId }) : new ManagedIdentityCredential();
  }
}
