import { userInitiator } from '../domain/audit.js';
import { notFound } from '../domain/errors.js';
import type { UserPrincipal } from '../identity/principal.js';
import type { DeviceRepository } from '../storage/device-repository.js';
import type { AuditLog } from './audit-log.js';
import type { PasscodeResetService } from './passcode-reset.js';

export interface DeviceDeletionDependencies {
  devices: DeviceRepository;
  passcodeReset: PasscodeResetService;
  audit: AuditLog;
}

/**
 * Admin `DELETE /deviceManagement/managedDevices/{id}` (Intune's Delete/retire). Removes every row of
 * the device first, so its assertions stop at once and its azureADDeviceId can be enrolled again (by
 * its real owner when someone else squatted it), then cancels its open passcode action.
 */
export class DeviceDeletionService {
  constructor(private readonly deps: DeviceDeletionDependencies) {}

  async delete(tenantId: string, deviceId: string, admin: UserPrincipal, correlationId: string): Promise<void> {
    const device = (await this.deps.devices.get(tenantId, deviceId.toLowerCase()))?.value;
    if (!device || !(await this.deps.devices.delete(tenantId, device.id))) {
      throw notFound(`Resource '${deviceId}' does not exist or one of its queried reference-property objects are not present.`);
    }
    await this.deps.passcodeReset.cancelOpenAction(device, admin, correlationId);
    await this.deps.audit.record({
      tenantId,
      activity: 'deviceDeleted',
      result: 'success',
      resultReason: `Deleted by an administrator; azureADDeviceId ${device.azureADDeviceId} (enrolled by user ${device.userId}) can be enrolled again.`,
      initiatedBy: userInitiator(admin),
      targetResources: [{ id: device.id, type: 'managedDevice', displayName: device.deviceName }],
      correlationId,
    });
  }
}
