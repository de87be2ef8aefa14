/**
 * Wire types of the routes the admin center calls. They come from the project's one typed client
 * (cli/client/types.ts) until the contract modules (shared/contract/*) replace it; nothing here
 * restates a shape.
 */
export type {
  AuditEvent,
  Collection,
  DeviceActionResult,
  GraphErrorEnvelope,
  ManagedDevice,
  OmaSetting,
  OnboardingApplication,
  OnboardingStatus,
  Organization,
  PinRecoveryPolicy,
  ProtectorKeyVersion,
  TenantSettings,
  TenantSettingsPatch,
} from '../../cli/client/types.js';
export type { PinComplexity, CharacterUsage } from '../../shared/domain/pin-policy.js';
