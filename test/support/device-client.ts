import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { deviceAuthorization, generateDeviceKey, type DeviceKeyPair, type DevicePublicJwk } from '../../cli/client/device-key.js';
import type { EnrollDeviceRequest } from '../../cli/client/types.js';

export interface AssertionOptions {
  /** The managed device id (iss and sub); defaults to the client's enrolled id. */
  deviceId?: string;
  /** The service's public base URL. */
  audience: string;
  /** Issue time; default now. */
  now?: Date;
  /** exp - iat in seconds; default the client library's. */
  lifetimeSeconds?: number;
  /** Sign with another private JWK (e.g. another device's). */
  signingKey?: JWK;
}

/**
 * A device agent's credentials for tests: the client library's device key pair (what the CLI
 * enrols) plus the managed device id, and `DeviceAssertion` headers signed by the library, with the
 * knobs attack tests need (clock, lifetime, another device's id or key).
 */
export class DeviceClient {
  /** The managed device id, known after enrolment. */
  deviceId: string | undefined;

  private constructor(private readonly key: DeviceKeyPair) {}

  static async create(): Promise<DeviceClient> {
    return new DeviceClient(await generateDeviceKey());
  }

  get publicJwk(): DevicePublicJwk {
    return this.key.publicJwk;
  }

  /** The private key as a JWK (what the CLI keeps in its state file). */
  get privateJwk(): JWK {
    return this.key.privateJwk;
  }

  /** The body of `POST /v1.0/me/managedDevices` for this device. */
  enrollment(fields: Partial<Omit<EnrollDeviceRequest, 'deviceKey'>> = {}): EnrollDeviceRequest {
    return {
      deviceName: fields.deviceName ?? `DESKTOP-${randomUUID().slice(0, 6).toUpperCase()}`,
      azureADDeviceId: fields.azureADDeviceId ?? randomUUID(),
      joinType: fields.joinType ?? 'azureADJoined',
      operatingSystem: fields.operatingSystem ?? 'Windows',
      osVersion: fields.osVersion ?? '10.0.26100.2894',
      deviceKey: this.publicJwk,
    };
  }

  /** `{ Authorization: 'DeviceAssertion <JWT>' }` with a fresh assertion. */
  async headers(options: AssertionOptions): Promise<Record<string, string>> {
    const deviceId = options.deviceId ?? this.deviceId;
    if (!deviceId) throw new Error('enrol the device first (deviceId unknown)');
    const authorization = await deviceAuthorization({
      deviceId,
      privateJwk: options.signingKey ?? this.privateJwk,
      audience: options.audience,
      lifetimeSeconds: options.lifetimeSeconds,
      now: options.now && Math.floor(options.now.getTime() / 1000),
    });
    return { Authorization: authorization };
  }
}
