/**
 * Wire types of the routes the client calls. Every server shape comes from the contract modules
 * (shared/contract): nothing is restated here. Lists that honour `$select` answer selections (no
 * property required); a client that does not select reads the full entity.
 */

export type { GraphErrorEnvelope, Collection } from '../../shared/contract/graph.js';
export type { Health, TokenResponse } from '../../shared/contract/health.js';
export type { DevTokenRequest } from '../../shared/dev/simulation.js';
export type { Organization } from '../../shared/contract/organization.js';
export type { OnboardingApplication, OnboardingStatus } from '../../shared/contract/onboarding.js';
export type {
  TenantSettingsBody as TenantSettings,
  TenantSettingsPatch,
  OmaSetting,
  PinRecoveryPolicy,
} from '../../shared/contract/settings.js';
export type { ProtectorJwks, ProtectorKeyVersion, ProtectorKeyVersionWithDevices, DecryptResult } from '../../shared/contract/protector-keys.js';
export type {
  ManagedDevice,
  ManagedDeviceEntity,
  ManagedDeviceSelection,
  ResetPasscodeActionResult as DeviceActionResult,
  DeviceStatusReport,
  PendingAction,
  ActionResultReport,
} from '../../shared/contract/managed-devices.js';
export type { PinResetEvent as AuditEvent } from '../../shared/contract/audit.js';
export type { JoinType, CanReset, ActionState } from '../../shared/domain/device.js';
export type { EnrollDeviceRequest, DevicePublicJwk } from '../../shared/contract/managed-devices.js';
