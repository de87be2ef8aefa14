import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface AssertionOptions {
  /** The managed device id (iss and sub); defaults to the client's enrolled id. */
  deviceId?: string;
  /** The service's public base URL. */
  audience: string;
  /** Issue time; default now. */
  now?: Date;
  /** exp - iat in seconds; default 300. */
  lifetimeSeconds?: number;
  jti?: string;
  /** Sign with another key (e.g. another device's). */
  signingKey?: CryptoKey;
}

/**
 * A device agent's credentials for tests and tools: an EC P-256 key pair made with jose, the public
 * JWK to enrol, and `DeviceAssertion` headers signed with the private key (ES256, iss = sub = the
 * managed device id, aud = the service base URL, 5-minute lifetime, random jti).
 */
export class DeviceClient {
  /** The managed device id, known after enrolment. */
  deviceId: string | undefined;

  private constructor(readonly privateKey: CryptoKey, readonly publicJwk: JWK) {}

  static async create(): Promise<DeviceClient> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    return new DeviceClient(privateKey, { kty, crv, x, y });
  }

  /** The body of `POST /v1.0/me/managedDevices` for this device. */
  enrollment(fields: { deviceName?: string; azureADDeviceId?: string; joinType?: string; operatingSystem?: string; osVersion?: string } = {}): Record<string, unknown> {
    return {
      deviceName: fields.deviceName ?? `DESKTOP-${randomUUID().slice(0, 6).toUpperCase()}`,
      azureADDeviceId: fields.azureADDeviceId ?? randomUUID(),
      joinType: fields.joinType ?? 'azureADJoined',
      operatingSystem: fields.operatingSystem ?? 'Windows',
      osVersion: fields.osVersion ?? '10.0.26100.2894',
      deviceKey: this.publicJwk,
    };
  }

  async assertion(options: AssertionOptions): Promise<string> {
    const deviceId = options.deviceId ?? this.deviceId;
    if (!deviceId) throw new Error('enrol the device first (deviceId unknown)');
    const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(deviceId)
      .setSubject(deviceId)
      .setAudience(options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.lifetimeSeconds ?? 300))
      .setJti(options.jti ?? randomUUID())
      .sign(options.signingKey ?? this.privateKey);
  }

  /** `{ Authorization: 'DeviceAssertion <JWT>' }` with a fresh assertion. */
  async headers(options: AssertionOptions): Promise<Record<string, string>> {
    return { Authorization: `DeviceAssertion ${await this.assertion(options)}` };
  }
}
