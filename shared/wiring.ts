import { getConfig, type ServiceConfig } from './config.js';
import { EntraTokenValidator } from './identity/entra-token-validator.js';
import { JwksCache } from './identity/jwks-cache.js';
import type { DeviceAuthenticator } from './identity/principal.js';
import type { TenantLifecycleListener } from './services/tenant-lifecycle.js';
import { systemClock, type Clock } from './domain/clock.js';
import { AuditLog } from './services/audit-log.js';
import { AuditRepository } from './storage/audit-repository.js';
import { TableStore } from './storage/table-store.js';
import { TenantRepository } from './storage/tenant-repository.js';
import { TenantSettingsRepository } from './storage/tenant-settings-repository.js';
import type { KekProvider } from './keys/kek-provider.js';
import { selectKekProvider } from './keys/select-kek-provider.js';
import { UnwrappedKeyCache } from './keys/unwrapped-key-cache.js';
import { ProtectorDecryptService } from './services/protector-decrypt.js';
import { protectorKeyLifecycleListener } from './services/protector-key-lifecycle.js';
import { ProtectorKeyService } from './services/protector-keys.js';
import { RateLimiter } from './services/rate-limiter.js';
import { TenantStateCache } from './services/tenant-state-cache.js';
import { ProtectorKeyRepository } from './storage/protector-key-repository.js';
import { RateLimitRepository } from './storage/rate-limit-repository.js';
import { ClientCredentialsTokenProvider, selectClientCredential, type AppTokenProvider, type ClientCredential } from './identity/app-token-provider.js';
import { OpenIdAdminSignIn, type AdminSignIn } from './identity/admin-sign-in.js';
import { GraphClient, type DirectoryReader } from './identity/graph-client.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './identity/http-retry.js';
import { TenantResolver } from './identity/tenant-resolver.js';
import { OnboardingService } from './services/onboarding.js';
import { Housekeeping } from './services/housekeeping.js';
import { TenantSettingsService } from './services/tenant-settings.js';
import { OnboardingStateRepository } from './storage/onboarding-state-repository.js';
import { DeviceAssertionVerifier } from './identity/device-assertion-verifier.js';
import { DeviceDeletionService } from './services/device-deletion.js';
import { DeviceEnrollmentService } from './services/device-enrollment.js';
import { PasscodeResetService } from './services/passcode-reset.js';
import { PasscodeSealer } from './services/passcode-sealer.js';
import { ProtectorKeyUsage } from './services/protector-key-usage.js';
import { DeviceActionRepository } from './storage/device-action-repository.js';
import { DeviceAssertionJtiRepository } from './storage/device-assertion-jti-repository.js';
import { DeviceRepository } from './storage/device-repository.js';
import { IdempotencyRepository } from './storage/idempotency-repository.js';

/**
 * The composition root: builds the real implementations once per process, lazily, so that
 * importing a function module does no work (cold start). Tests build their own with overrides.
 */
export class Services {
  private readonly instances = new Map<string, unknown>();

  constructor(
    readonly config: ServiceConfig,
    private readonly overrides: Partial<Record<string, unknown>> = {},
  ) {}

  protected once<T>(name: string, create: () => T): T {
    if (name in this.overrides) return this.overrides[name] as T;
    if (!this.instances.has(name)) this.instances.set(name, create());
    return this.instances.get(name) as T;
  }

  get clock(): Clock {
    return this.once('clock', () => systemClock);
  }

  /** The same clock in epoch milliseconds, for the caches' TTLs (tests move it instead of sleeping). */
  private readonly epochMs = (): number => this.clock().getTime();

  get tables(): TableStore {
    return this.once('tables', () => new TableStore(this.config.storage));
  }

  get tokens(): EntraTokenValidator {
    return this.once(
      'tokens',
      () =>
        new EntraTokenValidator({
          authorityUrl: this.config.authorityUrl,
          audiences: [this.config.serviceAppId, this.config.serviceAppIdUri],
          serviceAppId: this.config.serviceAppId,
          jwks: new JwksCache({ url: `${this.config.authorityUrl}/common/discovery/v2.0/keys`, now: this.epochMs }),
        }),
    );
  }

  get tenants(): TenantRepository {
    return this.once('tenants', () => new TenantRepository(this.tables));
  }

  get audit(): AuditLog {
    return this.once('audit', () => new AuditLog(new AuditRepository(this.tables), this.clock));
  }

  get tenantSettings(): TenantSettingsRepository {
    return this.once('tenantSettings', () => new TenantSettingsRepository(this.tables));
  }

  get tenantSettingsService(): TenantSettingsService {
    return this.once('tenantSettingsService', () => new TenantSettingsService(this.tenantSettings, this.audit, () => this.clock()));
  }

  /** Retries of calls to Entra ID and Microsoft Graph (tests shorten the waits). */
  get microsoftRetry(): RetryPolicy {
    return this.once('microsoftRetry', () => DEFAULT_RETRY_POLICY);
  }

  /** App-only Graph tokens as the service app: dev secret in development mode, managed identity federated credential in Azure. */
  get appTokens(): AppTokenProvider {
    return this.once(
      'appTokens',
      () =>
        new ClientCredentialsTokenProvider({
          authorityUrl: this.config.authorityUrl,
          graphHost: this.config.graphHost,
          clientId: this.config.serviceAppId,
          credential: this.clientCredential,
          retry: this.microsoftRetry,
          now: this.epochMs,
        }),
    );
  }

  get directoryReader(): DirectoryReader {
    return this.once('directoryReader', () => new GraphClient({ graphHost: this.config.graphHost, tokens: this.appTokens, retry: this.microsoftRetry }));
  }

  get onboarding(): OnboardingService {
    return this.once(
      'onboarding',
      () =>
        new OnboardingService({
          config: this.config,
          tenants: this.tenants,
          states: this.onboardingStates,
          directory: this.directoryReader,
          resolver: new TenantResolver({ authorityUrl: this.config.authorityUrl, retry: this.microsoftRetry }),
          signIn: this.adminSignIn,
          audit: this.audit,
          listeners: () => this.tenantLifecycleListeners,
          clock: () => this.clock(),
        }),
    );
  }

  /** The administrator's sign-in that begins onboarding (openid-client, as the service app). */
  get adminSignIn(): AdminSignIn {
    return this.once(
      'adminSignIn',
      () =>
        new OpenIdAdminSignIn({
          authorityUrl: this.config.authorityUrl,
          clientId: this.config.serviceAppId,
          redirectUri: `${this.config.publicBaseUrl}/onboarding/signin`,
          credential: () => this.clientCredential,
        }),
    );
  }

  /** How the service app proves itself to the authority: dev secret locally, managed identity's federated assertion in Azure. */
  get clientCredential(): ClientCredential {
    return this.once('clientCredential', () => selectClientCredential(this.config));
  }

  get onboardingStates(): OnboardingStateRepository {
    return this.once('onboardingStates', () => new OnboardingStateRepository(this.tables));
  }

  get rateLimits(): RateLimitRepository {
    return this.once('rateLimits', () => new RateLimitRepository(this.tables));
  }

  /** Deletes expired onboarding states and past rate-limit windows (hourly timer). */
  get housekeeping(): Housekeeping {
    return this.once(
      'housekeeping',
      () => new Housekeeping({ onboardingStates: this.onboardingStates, rateLimits: this.rateLimits, clock: () => this.clock() }),
    );
  }

  get devices(): DeviceRepository {
    return this.once('devices', () => new DeviceRepository(this.tables));
  }

  get deviceActions(): DeviceActionRepository {
    return this.once('deviceActions', () => new DeviceActionRepository(this.tables));
  }

  get deviceAssertionJtis(): DeviceAssertionJtiRepository {
    return this.once('deviceAssertionJtis', () => new DeviceAssertionJtiRepository(this.tables));
  }

  get idempotencyKeys(): IdempotencyRepository {
    return this.once('idempotencyKeys', () => new IdempotencyRepository(this.tables));
  }

  /** Passcodes at rest: AES-256-GCM, each under its own data key wrapped by the KEK. */
  get passcodeSealer(): PasscodeSealer {
    return this.once('passcodeSealer', () => new PasscodeSealer(this.kek));
  }

  get deviceEnrollment(): DeviceEnrollmentService {
    return this.once('deviceEnrollment', () => new DeviceEnrollmentService({ devices: this.devices, audit: this.audit, clock: () => this.clock() }));
  }

  /** The decrypt hook that notes which protector key a device uses (deviceCount of key versions). */
  get protectorKeyUsage(): ProtectorKeyUsage {
    return this.once('protectorKeyUsage', () => new ProtectorKeyUsage(this.devices));
  }

  get deviceDeletion(): DeviceDeletionService {
    return this.once('deviceDeletion', () => new DeviceDeletionService({ devices: this.devices, passcodeReset: this.passcodeReset, audit: this.audit }));
  }

  get passcodeReset(): PasscodeResetService {
    return this.once(
      'passcodeReset',
      () =>
        new PasscodeResetService({
          tenantSettings: this.tenantSettings,
          devices: this.devices,
          actions: this.deviceActions,
          sealer: this.passcodeSealer,
          audit: this.audit,
          clock: () => this.clock(),
        }),
    );
  }

  /** The key-encryption key that wraps tenant private keys (local setting or Key Vault). */
  get kek(): KekProvider {
    return this.once('kek', () => selectKekProvider(this.config));
  }

  get protectorKeys(): ProtectorKeyService {
    return this.once(
      'protectorKeys',
      () =>
        new ProtectorKeyService(
          new ProtectorKeyRepository(this.tables),
          () => this.kek,
          new UnwrappedKeyCache({ maxEntries: this.config.keyCache.maxEntries, ttlMs: this.config.keyCache.ttlSeconds * 1000, now: this.epochMs }),
          this.audit,
          () => this.clock(),
          this.tenantStateCache,
          () => ({ minIntervalSeconds: this.config.keyRotationMinIntervalSeconds }),
        ),
    );
  }

  /** Decrypts' short-lived view of tenant and key state (PINRESET_KEY_STATE_CACHE_SECONDS). */
  get tenantStateCache(): TenantStateCache {
    return this.once('tenantStateCache', () => new TenantStateCache(this.config.keyCache.stateTtlSeconds * 1000, undefined, this.epochMs));
  }

  get decryptRateLimiter(): RateLimiter {
    return this.once('decryptRateLimiter', () => new RateLimiter(this.rateLimits, () => this.clock(), this.config.decryptLimits.windowSeconds));
  }

  get protectorDecrypt(): ProtectorDecryptService {
    return this.once(
      'protectorDecrypt',
      () =>
        new ProtectorDecryptService({
          keys: this.protectorKeys,
          tenants: this.tenants,
          rateLimiter: this.decryptRateLimiter,
          audit: this.audit,
          limits: () => this.config.decryptLimits,
          state: this.tenantStateCache,
          keyUsage: this.protectorKeyUsage,
        }),
    );
  }

  /** Add a feature's listener here when it keeps per-tenant state. */
  get tenantLifecycleListeners(): readonly TenantLifecycleListener[] {
    return this.once<readonly TenantLifecycleListener[]>('tenantLifecycleListeners', () => [
      protectorKeyLifecycleListener(() => this.protectorKeys),
      { name: 'deviceActions', onTenantOffboarded: (tenantId, correlationId) => this.passcodeReset.cancelOpenActions(tenantId, correlationId) },
    ]);
  }

  /**
   * `WWW-Authenticate` of a refused device call: the Bearer challenge every 401 carries (docs/api.md), then
   * the DeviceAssertion scheme the device routes take.
   */
  deviceChallenge(invalidToken: boolean): string {
    return `${this.tokens.wwwAuthenticate(invalidToken)}, DeviceAssertion realm="${this.config.publicBaseUrl}"`;
  }

  get deviceAuthenticator(): DeviceAuthenticator {
    return this.once<DeviceAuthenticator>(
      'deviceAuthenticator',
      () =>
        new DeviceAssertionVerifier({
          devices: this.devices,
          tenants: this.tenants,
          jtis: this.deviceAssertionJtis,
          clock: () => this.clock(),
          challenge: this.deviceChallenge(true),
        }),
    );
  }
}

let current: Services | undefined;

export function getServices(): Services {
  current ??= new Services(getConfig());
  return current;
}

/** Tests replace the process's services, e.g. with an injected clock. */
export function setServices(services: Services | undefined): void {
  current = services;
}
