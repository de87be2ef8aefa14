/** Audit events: what happened in a tenant, by whom, with what result. Never a secret. */

export const AUDIT_ACTIVITIES = [
  'onboardingStarted',
  'serviceConsentGranted',
  'clientConsentGranted',
  'onboardingCompleted',
  'onboardingFailed',
  'onboardingVerified',
  'tenantOffboarded',
  'settingsUpdated',
  'protectorKeyCreated',
  'protectorKeyRotated',
  'protectorKeyRetired',
  'protectorDecrypt',
  'deviceEnrolled',
  'deviceStatusReported',
  'deviceDeleted',
  'passcodeResetRequested',
  'passcodeResetDelivered',
  'passcodeResetDone',
  'passcodeResetFailed',
  'passcodeResetCanceled',
  'passcodeResetExpired',
  'passcodeRevealed',
] as const;
export type AuditActivity = (typeof AUDIT_ACTIVITIES)[number];

export const AUDIT_RESULTS = ['success', 'failure'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export type AuditInitiator =
  | { user: { id: string; userPrincipalName?: string } }
  | { device: { id: string; displayName?: string } }
  | { app: { id: string; displayName: string } };

/** The audit initiator for a signed-in user (or admin). */
export function userInitiator(user: { objectId: string; userPrincipalName: string | undefined }): AuditInitiator {
  return { user: { id: user.objectId, ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}) } };
}

/** The audit initiator for a device (device-signed calls), named as enrolled so that the audit log shows which one. */
export function deviceInitiator(device: { deviceId: string; deviceName?: string | undefined }): AuditInitiator {
  return { device: { id: device.deviceId, ...(device.deviceName ? { displayName: device.deviceName } : {}) } };
}

export interface AuditTarget {
  id: string;
  type: string;
  displayName?: string;
}

export interface AuditEventInput {
  tenantId: string;
  activity: AuditActivity;
  result: AuditResult;
  resultReason?: string | null;
  initiatedBy: AuditInitiator;
  targetResources?: AuditTarget[];
  correlationId: string;
}

export interface AuditEvent {
  id: string;
  tenantId: string;
  activityDateTime: string;
  activity: AuditActivity;
  result: AuditResult;
  resultReason: string | null;
  initiatedBy: AuditInitiator;
  targetResources: AuditTarget[];
  correlationId: string;
}

export const SERVICE_INITIATOR: AuditInitiator = { app: { id: 'pin-reset-service', displayName: 'PIN reset service' } };
