import type { PinComplexity } from '../../shared/domain/pin-policy.js';
import { HttpClient, type Credential, type HttpClientOptions } from './http.js';
import type { SignInConfiguration } from './sign-in.js';
import type {
  ActionResultReport,
  AuditEvent,
  Collection,
  DecryptResult,
  DeviceStatusReport,
  DevTokenRequest,
  EnrollDeviceRequest,
  Health,
  ManagedDeviceEntity,
  ManagedDeviceSelection,
  OnboardingStatus,
  Organization,
  PendingAction,
  PinRecoveryPolicy,
  ProtectorJwks,
  ProtectorKeyVersion,
  ProtectorKeyVersionWithDevices,
  DeviceActionResult,
  TenantSettings,
  TenantSettingsPatch,
  TokenResponse,
} from './types.js';

export type { PinComplexity };

export interface ListOptions {
  top?: number;
  filter?: string;
  select?: readonly string[];
  /** Follow `@odata.nextLink` to the end (default: first page only). */
  all?: boolean;
}

const segment = (value: string) => encodeURIComponent(value);

function query(options: ListOptions): string {
  const params: string[] = [];
  if (options.select?.length) params.push(`$select=${options.select.map(encodeURIComponent).join(',')}`);
  if (options.filter) params.push(`$filter=${encodeURIComponent(options.filter)}`);
  if (options.top !== undefined) params.push(`$top=${options.top}`);
  return params.length ? `?${params.join('&')}` : '';
}

/**
 * The typed client of the PIN reset service: one method per route a device agent or an admin tool
 * calls (docs/api.md). Every method takes the caller's credential (a bearer token, or a device assertion
 * signer). Errors are `GraphApiError` / `MfaRequiredError` / `ServiceUnreachableError`.
 */
export class PinResetClient {
  readonly http: HttpClient;

  constructor(options: HttpClientOptions | HttpClient) {
    this.http = options instanceof HttpClient ? options : new HttpClient(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  // --- Operations and development mode ------------------------------------------------------------

  async health(): Promise<Health> {
    // 503 carries a body too (storage unreachable); accept it so the caller sees `degraded`.
    return (await this.http.request<Health>('GET', '/health', { accept: [503] })).body;
  }

  /**
   * `GET /signin-configuration` (anonymous): where clients sign in to call this service (authority,
   * client app id, tenant, the service's delegated scope).
   */
  async signInConfiguration(): Promise<SignInConfiguration> {
    return (await this.http.request<SignInConfiguration>('GET', '/signin-configuration')).body;
  }

  /** Development mode only: a real token from the simulated Entra ID (404 when dev mode is off). */
  async devToken(request: DevTokenRequest): Promise<TokenResponse> {
    return (await this.http.request<TokenResponse>('POST', '/dev/token', { json: request })).body;
  }

  // --- Organization ---------------------------------------------------------------------------------

  /** `GET /v1.0/organization?$select=id`: the caller's tenant id (works before onboarding). */
  async tenantId(user: Credential): Promise<string> {
    const { body } = await this.http.request<Collection<Organization>>('GET', '/v1.0/organization?$select=id', { credential: user });
    const id = body.value[0]?.id;
    if (!id) throw new Error('The organization answer named no tenant.');
    return id;
  }

  async organization(user: Credential, select?: readonly string[]): Promise<Organization> {
    const { body } = await this.http.request<Collection<Organization>>('GET', `/v1.0/organization${query({ select })}`, { credential: user });
    const organization = body.value[0];
    if (!organization) throw new Error('The organization answer was empty.');
    return organization;
  }

  // --- Onboarding, settings, policy (admin) ---------------------------------------------------------

  private tenantPath(tenantId: string, rest: string): string {
    return `/v1.0/organization/${segment(tenantId)}/${rest}`;
  }

  async onboardingStatus(admin: Credential, tenantId: string): Promise<OnboardingStatus> {
    return (await this.http.request<OnboardingStatus>('GET', this.tenantPath(tenantId, 'pinResetOnboarding'), { credential: admin })).body;
  }

  async verifyOnboarding(admin: Credential, tenantId: string): Promise<OnboardingStatus> {
    return (await this.http.request<OnboardingStatus>('POST', this.tenantPath(tenantId, 'pinResetOnboarding/verify'), { credential: admin })).body;
  }

  async offboard(admin: Credential, tenantId: string): Promise<void> {
    await this.http.request('DELETE', this.tenantPath(tenantId, 'pinResetOnboarding'), { credential: admin });
  }

  async settings(admin: Credential, tenantId: string): Promise<TenantSettings> {
    return (await this.http.request<TenantSettings>('GET', this.tenantPath(tenantId, 'pinResetSettings'), { credential: admin })).body;
  }

  async updateSettings(admin: Credential, tenantId: string, patch: TenantSettingsPatch, ifMatch?: string): Promise<TenantSettings> {
    const { body } = await this.http.request<TenantSettings | undefined>('PATCH', this.tenantPath(tenantId, 'pinResetSettings'), {
      credential: admin,
      json: patch,
      ...(ifMatch ? { headers: { 'If-Match': ifMatch } } : {}),
    });
    // Graph answers a PATCH with 204 or with the entity; read back when there is no body.
    return body ?? this.settings(admin, tenantId);
  }

  async recoveryPolicy(admin: Credential, tenantId: string): Promise<PinRecoveryPolicy> {
    return (await this.http.request<PinRecoveryPolicy>('GET', this.tenantPath(tenantId, 'pinRecoveryPolicy'), { credential: admin })).body;
  }

  // --- Protector keys and decrypt -------------------------------------------------------------------

  /** The tenant's protector JWKS (user or device of that tenant); current encryption key first. */
  async protectorKeys(caller: Credential, tenantId: string): Promise<ProtectorJwks> {
    return (await this.http.request<ProtectorJwks>('GET', this.tenantPath(tenantId, 'pinResetProtectorKeys'), { credential: caller })).body;
  }

  /** Each version with `deviceCount`: enrolled devices whose protector was last seen under it. */
  async protectorKeyVersions(admin: Credential, tenantId: string): Promise<ProtectorKeyVersionWithDevices[]> {
    const { body } = await this.http.request<Collection<ProtectorKeyVersionWithDevices> | ProtectorKeyVersionWithDevices[]>(
      'GET',
      this.tenantPath(tenantId, 'pinResetProtectorKeys/versions'),
      { credential: admin },
    );
    return Array.isArray(body) ? body : body.value;
  }

  async rotateProtectorKey(admin: Credential, tenantId: string): Promise<ProtectorKeyVersion | undefined> {
    return (await this.http.request<ProtectorKeyVersion | undefined>('POST', this.tenantPath(tenantId, 'pinResetProtectorKeys/rotate'), { credential: admin }))
      .body;
  }

  async retireProtectorKey(admin: Credential, tenantId: string, kid: string): Promise<void> {
    await this.http.request('POST', this.tenantPath(tenantId, `pinResetProtectorKeys/versions/${segment(kid)}/retire`), { credential: admin });
  }

  /** `POST /v1.0/me/pinResetProtector/decrypt` (user token with recent MFA, else MfaRequiredError). */
  async decryptProtector(mfaUser: Credential, protectedSecret: string): Promise<DecryptResult> {
    return (await this.http.request<DecryptResult>('POST', '/v1.0/me/pinResetProtector/decrypt', { credential: mfaUser, json: { protectedSecret } })).body;
  }

  // --- Devices --------------------------------------------------------------------------------------

  /** Enrols (201) or updates (200, same azureADDeviceId) the caller's device. */
  async enrollDevice(user: Credential, device: EnrollDeviceRequest): Promise<ManagedDeviceEntity> {
    return (await this.http.request<ManagedDeviceEntity>('POST', '/v1.0/me/managedDevices', { credential: user, json: device })).body;
  }

  async reportDeviceStatus(device: Credential, deviceId: string, status: DeviceStatusReport): Promise<void> {
    await this.http.request('POST', `/v1.0/devices/${segment(deviceId)}/status`, { credential: device, json: status });
  }

  async pendingActions(device: Credential, deviceId: string): Promise<PendingAction[]> {
    const { body } = await this.http.request<Collection<PendingAction> | PendingAction[]>('GET', `/v1.0/devices/${segment(deviceId)}/pendingActions`, {
      credential: device,
    });
    return Array.isArray(body) ? body : body.value;
  }

  /** The device's own actions with who revealed each passcode (never a passcode). */
  async ownActionResults(device: Credential, deviceId: string): Promise<DeviceActionResult[]> {
    return (await this.http.request<Collection<DeviceActionResult>>('GET', `/v1.0/devices/${segment(deviceId)}/deviceActionResults`, { credential: device }))
      .body.value;
  }

  async reportActionResult(device: Credential, deviceId: string, actionId: string, result: ActionResultReport): Promise<void> {
    await this.http.request('POST', `/v1.0/devices/${segment(deviceId)}/pendingActions/${segment(actionId)}/result`, { credential: device, json: result });
  }

  /** With `select`, properties not named are absent: the answer is a selection. */
  async managedDevices(admin: Credential, options: ListOptions = {}): Promise<ManagedDeviceSelection[]> {
    return this.list<ManagedDeviceSelection>(admin, `/v1.0/deviceManagement/managedDevices${query(options)}`, options.all ?? false);
  }

  /** A single-device read: it shows a pending passcode, and the service audits that reveal with `revealReason`. */
  async managedDevice(admin: Credential, id: string, options: { select?: readonly string[]; revealReason?: string } = {}): Promise<ManagedDeviceSelection> {
    const headers = options.revealReason ? { 'Reveal-Reason': encodeRevealReason(options.revealReason) } : undefined;
    return (
      await this.http.request<ManagedDeviceSelection>('GET', `/v1.0/deviceManagement/managedDevices/${segment(id)}${query({ select: options.select })}`, {
        credential: admin,
        ...(headers ? { headers } : {}),
      })
    ).body;
  }

  /** 204 as Graph; 409 while an action is pending or active. */
  async resetPasscode(admin: Credential, id: string, idempotencyKey?: string): Promise<void> {
    await this.http.request('POST', `/v1.0/deviceManagement/managedDevices/${segment(id)}/resetPasscode`, {
      credential: admin,
      ...(idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}),
    });
  }

  /** Deletes (retires) a managed device: its azureADDeviceId can then be enrolled again. */
  async deleteManagedDevice(admin: Credential, id: string): Promise<void> {
    await this.http.request('DELETE', `/v1.0/deviceManagement/managedDevices/${segment(id)}`, { credential: admin });
  }

  /** A device's passcode actions, newest first, never with a passcode (a collection read is not a reveal). */
  async deviceActionResults(admin: Credential, id: string): Promise<DeviceActionResult[]> {
    return this.list<DeviceActionResult>(admin, `/v1.0/deviceManagement/managedDevices/${segment(id)}/deviceActionResults`, true);
  }

  async cancelDeviceAction(admin: Credential, id: string, actionId: string): Promise<void> {
    await this.http.request('POST', `/v1.0/deviceManagement/managedDevices/${segment(id)}/deviceActionResults/${segment(actionId)}/cancel`, {
      credential: admin,
    });
  }

  // --- Audit ----------------------------------------------------------------------------------------

  async auditEvents(admin: Credential, options: ListOptions = {}): Promise<AuditEvent[]> {
    return this.list<AuditEvent>(admin, `/v1.0/auditLogs/pinResetEvents${query(options)}`, options.all ?? false);
  }

  private async list<T>(credential: Credential, path: string, all: boolean): Promise<T[]> {
    const values: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const { body }: { body: Collection<T> } = await this.http.request<Collection<T>>('GET', next, { credential });
      values.push(...body.value);
      next = all ? body['@odata.nextLink'] : undefined;
    }
    return values;
  }
}

/**
 * Header values travel as bytes: the reason is sent as UTF-8 (which the service decodes), without
 * the line breaks and control characters a header cannot carry.
 */
function encodeRevealReason(reason: string): string {
  const clean = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return Buffer.from(clean, 'utf8').toString('latin1');
}
