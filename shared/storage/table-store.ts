import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { ServiceConfig } from '../config.js';
import { isStorageConflict, storageCall } from './storage-errors.js';
import type { TablePipelinePolicy } from './transaction-counter.js';

/** Every table the service uses. Each has exactly one repository module in this folder. */
export const TABLE_NAMES = {
  tenants: 'Tenants',
  tenantSettings: 'TenantSettings',
  onboardingStates: 'OnboardingStates',
  auditEvents: 'AuditEvents',
  protectorKeys: 'ProtectorKeys',
  devices: 'Devices',
  deviceAssertionJtis: 'DeviceAssertionJtis',
  idempotencyKeys: 'IdempotencyKeys',
} as const;

export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES];

/**
 * Every storage call, retries included, ends within this deadline: a storage that stops answering
 * gets the caller a 503 + Retry-After (the aborted call is a ServiceUnavailable), never a hang.
 */
export const STORAGE_DEADLINE_MS = 3_000;

/** Per call (before the retry policy): one deadline over every try, then AbortError → 503. */
function deadlinePolicy(deadlineMs: number): TablePipelinePolicy {
  return {
    name: 'pinresetStorageDeadline',
    sendRequest(request, next) {
      const deadline = AbortSignal.timeout(deadlineMs);
      request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal as AbortSignal, deadline]) : deadline;
      return next(request);
    },
  };
}

export interface TableStoreOptions {
  /**
   * Extra pipeline policies for every table client, run on each HTTP attempt (retries included):
   * e.g. `TableTransactionCounter.policy` (transaction-counter.ts) in tests and the bench.
   */
  policies?: readonly TablePipelinePolicy[];
  /** Deadline of one storage call, retries included (default STORAGE_DEADLINE_MS). */
  deadlineMs?: number;
}

/**
 * The one factory for table clients: a connection string locally (Azurite), `TABLES_ENDPOINT` and a
 * managed identity in Azure. Tables are never created at request time: Bicep creates them in Azure,
 * `createTables` does locally (npm start, tests, the benchmark: `startAzurite` calls it once).
 */
export class TableStore {
  private readonly clients = new Map<TableName, Promise<TableClient>>();

  constructor(
    private readonly storage: ServiceConfig['storage'],
    private readonly options: TableStoreOptions = {},
  ) {}

  table(name: TableName): Promise<TableClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.tableClient(name);
      this.clients.set(name, client);
      // A failed construction (identity library unavailable) must not poison the cache.
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

  /** Creates every table that does not exist yet (local development and tests; Bicep does it in Azure). */
  async createTables(): Promise<void> {
    const service = await this.serviceClient();
    await Promise.all(
      Object.values(TABLE_NAMES).map((name) =>
        storageCall(() => service.createTable(name)).catch((error: unknown) => {
          if (!isStorageConflict(error)) throw error;
        }),
      ),
    );
  }

  private clientOptions(retries: boolean): TableServiceClientOptions {
    return {
      allowInsecureConnection: this.isLocal(),
      retryOptions: retries ? { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 } : { maxRetries: 0 },
      additionalPolicies: [
        { policy: deadlinePolicy(this.options.deadlineMs ?? STORAGE_DEADLINE_MS), position: 'perCall' },
        ...(this.options.policies ?? []).map((policy) => ({ policy, position: 'perRetry' as const })),
      ],
    };
  }

  private async tableClient(name: TableName): Promise<TableClient> {
    const options = this.clientOptions(true);
    if (this.storage.kind === 'connectionString') return TableClient.fromConnectionString(this.storage.connectionString, name, options);
    const credential = await this.credential();
    return new TableClient(this.storage.endpoint, name, credential, options);
  }

  private async serviceClient(): Promise<TableServiceClient> {
    const options = this.clientOptions(false);
    if (this.storage.kind === 'connectionString') return TableServiceClient.fromConnectionString(this.storage.connectionString, options);
    return new TableServiceClient(this.storage.endpoint, await this.credential(), options);
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
