import { deviceInitiator, userInitiator } from '../domain/audit.js';
import { createPublicKey, randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { AuditLog } from './audit-log.js';
import type { CanReset, DevicePublicKey, JoinType, ManagedDeviceRecord } from '../domain/device.js';
import { badRequest, conflict, forbidden, isServiceError, notFound } from '../domain/errors.js';
import type { Versioned } from '../domain/tenant.js';
import type { DevicePrincipal, UserPrincipal } from '../identity/principal.js';
import type { DeviceRepository } from '../storage/device-repository.js';
import { readModifyWrite } from './read-modify-write.js';

export interface EnrollmentDependencies {
  devices: DeviceRepository;
  audit: AuditLog;
  clock: Clock;
}

export interface EnrollmentRequest {
  deviceName: string;
  azureADDeviceId: string;
  joinType: JoinType;
  operatingSystem: string;
  osVersion: string;
  deviceKey: Record<string, unknown>;
  /** The kid of the JWE the device's protector is wrapped in, when it has one. */
  protectorKeyId?: string | undefined;
}

export interface DeviceStatusReport {
  canReset: CanReset;
  ngcSet: boolean;
  pinRecoveryEnabled: boolean;
  protectorKeyId?: string | undefined;
}

const MAX_ETAG_RETRIES = 20;

/** Only the public members of an EC P-256 key that really is a point on the curve. */
export function publicDeviceKey(jwk: Record<string, unknown>): DevicePublicKey {
  if ('d' in jwk) throw badRequest("Invalid request body at 'deviceKey': a private key was sent (member 'd'); send only the public key.");
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw badRequest("Invalid request body at 'deviceKey': expected a public EC P-256 JWK (kty 'EC', crv 'P-256', x, y).");
  }
  const key: DevicePublicKey = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    createPublicKey({ key: { ...key }, format: 'jwk' });
  } catch {
    throw badRequest("Invalid request body at 'deviceKey': the key is not a valid EC P-256 public key.");
  }
  return key;
}

/**
 * Enrolment (`POST /me/managedDevices`) and status reports of devices. One record per
 * (tenant, azureADDeviceId): enrolling again updates it and replaces its key.
 */
export class DeviceEnrollmentService {
  constructor(private readonly deps: EnrollmentDependencies) {}

  async enroll(user: UserPrincipal, request: EnrollmentRequest, correlationId: string): Promise<{ device: ManagedDeviceRecord; created: boolean }> {
    const deviceKey = publicDeviceKey(request.deviceKey);
    const azureADDeviceId = request.azureADDeviceId.toLowerCase();
    // A token obtained on a joined device names that device: it can only enrol itself.
    if (user.deviceId !== undefined && user.deviceId !== azureADDeviceId) {
      throw forbidden(
        "The azureADDeviceId does not match the device the access token was issued on (its 'deviceid' claim). Enrol from that device, with its own azureADDeviceId.",
      );
    }
    const fields = {
      tenantId: user.tenantId,
      userId: user.objectId,
      userPrincipalName: user.userPrincipalName ?? null,
      deviceName: request.deviceName,
      azureADDeviceId,
      joinType: request.joinType,
      operatingSystem: request.operatingSystem,
      osVersion: request.osVersion,
      deviceKey,
      // Re-enrolling without a protector (PIN recovery off) leaves none under any key.
      protectorKeyId: request.protectorKeyId ?? null,
    };
    for (let attempt = 0; ; attempt += 1) {
      const existingId = await this.deps.devices.deviceIdFor(user.tenantId, azureADDeviceId);
      const existing = existingId === undefined ? undefined : await this.deps.devices.get(user.tenantId, existingId);
      // Re-enrolling replaces the device key, and the key receives the device's passcodes: only the
      // user who enrolled the device may do that (Intune never re-owns a device on a user token).
      if (existing && existing.value.userId !== user.objectId) {
        throw conflict('This device is enrolled by another user. Only that user can enrol it again.');
      }
      try {
        const result = existing ? await this.update(existing, fields) : await this.create(fields);
        if (!result) {
          // Another request enrolled the same azureADDeviceId first: update that record instead.
          if (attempt >= MAX_ETAG_RETRIES) throw conflict('The device is being enrolled by another request. Retry.');
          continue;
        }
        await this.deps.audit.record({
          tenantId: user.tenantId,
          activity: 'deviceEnrolled',
          result: 'success',
          resultReason: result.created ? 'Enrolled.' : 'Enrolled again: record updated, device key replaced.',
          initiatedBy: userInitiator(user),
          targetResources: [{ id: result.device.id, type: 'managedDevice', displayName: result.device.deviceName }],
          correlationId,
        });
        return result;
      } catch (error) {
        if (!isServiceError(error, 'PreconditionFailed') || attempt >= MAX_ETAG_RETRIES) throw error;
      }
    }
  }

  private async create(
    fields: Omit<ManagedDeviceRecord, 'id' | 'enrolledDateTime' | 'lastSyncDateTime' | 'canReset' | 'ngcSet' | 'pinRecoveryEnabled' | 'latestAction'>,
  ) {
    const now = this.deps.clock().toISOString();
    const device: ManagedDeviceRecord = {
      ...fields,
      id: randomUUID(),
      enrolledDateTime: now,
      // Enrolment is the device's first contact with the service, as in Intune.
      lastSyncDateTime: now,
      canReset: 'Unknown',
      ngcSet: null,
      pinRecoveryEnabled: null,
      latestAction: null,
    };
    const created = await this.deps.devices.create(device);
    return created ? { device: created.value, created: true } : undefined;
  }

  private async update(existing: Versioned<ManagedDeviceRecord>, fields: Partial<ManagedDeviceRecord>) {
    const saved = await this.deps.devices.replace({ ...existing.value, ...fields }, existing.etag);
    return { device: saved.value, created: false };
  }

  /** `POST /devices/{id}/status`: what dsregcmd and the Hello container say; also the device's last sync. */
  async reportStatus(caller: DevicePrincipal, status: DeviceStatusReport, correlationId: string): Promise<ManagedDeviceRecord> {
    const { protectorKeyId, ...capabilities } = status;
    const saved = await readModifyWrite(
      async () => {
        const found = await this.deps.devices.get(caller.tenantId, caller.deviceId);
        if (!found) throw notFound();
        return this.deps.devices.replace(
          {
            ...found.value,
            ...capabilities,
            // A status without the field says nothing about the protector; one without recovery has none.
            protectorKeyId: status.pinRecoveryEnabled ? (protectorKeyId ?? found.value.protectorKeyId) : null,
            lastSyncDateTime: this.deps.clock().toISOString(),
          },
          found.etag,
        );
      },
      { attempts: MAX_ETAG_RETRIES + 1 },
    );
    await this.deps.audit.record({
      tenantId: caller.tenantId,
      activity: 'deviceStatusReported',
      result: 'success',
      resultReason:
        `canReset=${status.canReset}; ngcSet=${status.ngcSet}; pinRecoveryEnabled=${status.pinRecoveryEnabled}` +
        (saved.value.protectorKeyId ? `; protectorKeyId=${saved.value.protectorKeyId}` : ''),
      initiatedBy: deviceInitiator({ deviceId: caller.deviceId, deviceName: saved.value.deviceName }),
      targetResources: [{ id: caller.deviceId, type: 'managedDevice', displayName: saved.value.deviceName }],
      correlationId,
    });
    return saved.value;
  }
}
