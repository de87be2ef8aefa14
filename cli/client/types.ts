/** Wire types of the routes the client calls (api.md). Only the fields clients use are required. */
import type { JWK } from 'jose';
import type { PinComplexity } from '../../shared/domain/pin-policy.js';
import type { DevicePublicJwk } from './device-key.js';

export type JoinType = 'azureADJoined' | 'azureADRegistered' | 'hybridAzureADJoined';
export type CanReset = 'DestructiveOnly' | 'NonDestructiveOnly' | 'DestructiveAndNonDestructive' | 'Unknown';
export type ActionState = 'none' | 'pending' | 'active' | 'done' | 'failed' | 'canceled' | 'notSupported';

/** The body of every error answer: Graph's error envelope. */
export interface GraphErrorEnvelope {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } };
}

export interface Collection<T> {
  '@odata.context'?: string;
  '@odata.nextLink'?: string;
  value: T[];
}

export interface Health {
  status: 'ok' | 'degraded';
  storage: 'ok' | 'unreachable';
  version: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface DevTokenRequest {
  tid: string;
  oid: string;
  upn?: string;
  amr?: string[];
  wids?: string[];
  roles?: string[];
  acrs?: string[];
  ver?: '1.0' | '2.0';
  issuedSecondsAgo?: number;
  /** Entra's `deviceid` claim (the azureADDeviceId of the device the token is for). */
  deviceid?: string;
}

export interface Organization {
  id: string;
  displayName?: string | null;
  verifiedDomains?: unknown[] | null;
  tenantType?: string | null;
  createdDateTime?: string | null;
}

export interface OnboardingApplication {
  appId: string;
  displayName?: string;
  consented: boolean;
  servicePrincipalId: string | null;
  consentedDateTime: string | null;
}

export interface OnboardingStatus {
  state: 'notStarted' | 'serviceConsentPending' | 'clientConsentPending' | 'active' | 'failed' | 'offboarded';
  serviceApplication: OnboardingApplication;
  clientApplication: OnboardingApplication;
  lastVerifiedDateTime: string | null;
  failure: { code: string; message: string } | null;
}

export interface TenantSettings {
  webSignInAllowedUrls: string[];
  cloud: 'public' | 'usGovernment' | 'china';
  pinComplexity: PinComplexity;
  protectorKeyRotationDays: number;
}

export interface TenantSettingsPatch {
  webSignInAllowedUrls?: string[];
  cloud?: TenantSettings['cloud'];
  pinComplexity?: Partial<PinComplexity>;
  protectorKeyRotationDays?: number;
}

export interface OmaSetting {
  '@odata.type': string;
  displayName?: string;
  description?: string;
  omaUri: string;
  value: boolean | number | string;
}

/** GET pinRecoveryPolicy: a windows10CustomConfiguration body plus the Group Policy equivalents. */
export interface PinRecoveryPolicy {
  '@odata.type'?: string;
  displayName?: string;
  omaSettings?: OmaSetting[];
  [property: string]: unknown;
}

export interface ProtectorJwks {
  keys: JWK[];
}

export interface ProtectorKeyVersion {
  kid: string;
  state: 'active' | 'decryptOnly' | 'retired';
  createdDateTime: string;
  [property: string]: unknown;
}

export interface DecryptResult {
  /** Base64 of the 32-byte protector. */
  secret: string;
  keyId: string;
  reprotectRecommended: boolean;
}

export interface EnrollDeviceRequest {
  deviceName: string;
  azureADDeviceId: string;
  joinType: JoinType;
  operatingSystem: string;
  osVersion: string;
  deviceKey: DevicePublicJwk;
}

export interface DeviceActionResult {
  '@odata.type'?: string;
  id: string;
  actionName: string;
  actionState: ActionState;
  startDateTime?: string;
  lastUpdatedDateTime?: string;
  passcode?: string | null;
  errorCode?: string | null;
  errorDescription?: string | null;
}

export interface ManagedDevice {
  '@odata.context'?: string;
  id: string;
  deviceName?: string;
  userId?: string;
  userPrincipalName?: string;
  azureADDeviceId?: string;
  joinType?: JoinType;
  managedDeviceOwnerType?: string;
  operatingSystem?: string;
  osVersion?: string;
  enrolledDateTime?: string;
  lastSyncDateTime?: string | null;
  canReset?: CanReset | null;
  deviceActionResults?: DeviceActionResult[];
}

export interface DeviceStatusReport {
  canReset: CanReset;
  ngcSet: boolean;
  pinRecoveryEnabled: boolean;
}

/** A pending device action as the device fetches it: the passcode and, when sent, the policy it was made for. */
export interface PendingAction {
  id: string;
  actionName: string;
  actionState?: ActionState;
  passcode: string;
  /** The tenant policy the passcode was generated for (the device checks against its own). */
  policy?: PinComplexity;
  [property: string]: unknown;
}

export interface ActionResultReport {
  actionState: 'done' | 'failed';
  errorCode?: string;
}

export interface AuditEvent {
  id: string;
  activityDateTime: string;
  activity: string;
  result: 'success' | 'failure';
  resultReason?: string | null;
  initiatedBy?: { user?: { id: string }; device?: { id: string } };
  targetResources?: unknown[];
  correlationId?: string;
}
