/** Wire types of the routes the admin center calls: the contract modules (shared/contract), never restated. */
export type { Collection, GraphErrorEnvelope } from '../../shared/contract/graph.js';
export type { Organization } from '../../shared/contract/organization.js';
export type { OnboardingApplication, OnboardingStatus } from '../../shared/contract/onboarding.js';
export type { TenantSettingsBody as TenantSettings, TenantSettingsPatch, OmaSetting, PinRecoveryPolicy } from '../../shared/contract/settings.js';
export type { ProtectorKeyVersionWithDevices } from '../../shared/contract/protector-keys.js';
export type { ManagedDevice, ManagedDeviceSelection, ResetPasscodeActionResult as DeviceActionResult } from '../../shared/contract/managed-devices.js';
export type { PinResetEvent as AuditEvent } from '../../shared/contract/audit.js';
export type { PinComplexity, CharacterUsage } from '../../shared/domain/pin-policy.js';
