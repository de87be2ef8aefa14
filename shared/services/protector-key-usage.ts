import type { UserPrincipal } from '../identity/principal.js';
import { isKid } from '../keys/tenant-key-generator.js';
import type { DeviceRepository } from '../storage/device-repository.js';

/** How many (tenant, device) → kid sightings a process remembers. */
const MAX_REMEMBERED = 10_000;

/**
 * Notes the protector key id a device uses when its user decrypts (the decrypt hook): the device is
 * the one the user token's `deviceid` claim names, and only when that user enrolled it. A token
 * without the claim says nothing about a device, so nothing is recorded (status reports still are).
 *
 * The decrypt path must stay at about one table transaction, so this costs nothing when this process
 * already saw that kid for that device (the common case: the same device decrypts under the same key
 * until a rotation); a new sighting costs two point reads and at most one Merge. It never throws: a
 * storage failure here must not fail a decrypt (the next sighting retries).
 */
export class ProtectorKeyUsage {
  private readonly seen = new Map<string, string>();

  constructor(private readonly devices: DeviceRepository) {}

  async recordDecrypt(user: UserPrincipal, kid: string): Promise<void> {
    if (user.deviceId === undefined || !isKid(kid)) return;
    const key = `${user.tenantId}|${user.deviceId}`;
    if (this.seen.get(key) === kid) return;
    try {
      const deviceId = await this.devices.deviceIdFor(user.tenantId, user.deviceId);
      const found = deviceId === undefined ? undefined : await this.devices.get(user.tenantId, deviceId);
      const device = found?.value;
      // If the row changed meanwhile (a status report, a re-enrolment), that newer word stands.
      if (device && device.userId === user.objectId && device.protectorKeyId !== kid) {
        await this.devices.setProtectorKeyId(user.tenantId, device.id, kid, found!.etag);
      }
      this.remember(key, kid);
    } catch {
      // Best effort: the count catches up at the device's next status report or decrypt.
    }
  }

  private remember(key: string, kid: string): void {
    this.seen.delete(key);
    this.seen.set(key, kid);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
  }
}
