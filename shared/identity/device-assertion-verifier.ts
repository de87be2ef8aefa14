import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { onboardingStartUrl, ServiceError, tenantNotOnboarded } from '../domain/errors.js';
import { isGuid, isTenantActive } from '../domain/tenant.js';
import type { Clock } from '../domain/clock.js';
import type { DeviceAssertionJtiRepository } from '../storage/device-assertion-jti-repository.js';
import type { DeviceRepository } from '../storage/device-repository.js';
import type { TenantRepository } from '../storage/tenant-repository.js';
import type { DeviceAuthenticator, DevicePrincipal } from './principal.js';

/** Longest accepted assertion lifetime (exp - iat). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clock skew tolerated between the device and the service. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 60;

export interface DeviceAssertionVerifierOptions {
  devices: DeviceRepository;
  tenants: TenantRepository;
  jtis: DeviceAssertionJtiRepository;
  clock: Clock;
  /** The `WWW-Authenticate` value of a 401. */
  challenge: string;
}

/**
 * `Authorization: DeviceAssertion <JWT>`: ES256 by the device's enrolled key, `iss` = `sub` = the
 * managed device id, `aud` = the service's public base URL, exp - iat ≤ 5 minutes, `iat` not in the
 * future, and a `jti` never seen before (recorded in shared storage after the signature checks out, so
 * a forger cannot burn a device's jtis). Every failure is the same 401: nothing tells a caller which
 * check failed (unknown device vs bad signature vs replay).
 *
 * A genuine assertion of a device whose tenant is not `active` (offboarded, or failed verification)
 * is a 403 Authorization_RequestDenied, as enrolment and every other call of that tenant answer: the
 * credential is valid, so a 401 would only make the device re-sign and retry (or re-enrol) forever.
 * The tenant is read in parallel with the device row, so this adds no round trip. It is checked
 * before the jti is recorded: a refused device leaves no jti behind.
 */
export class DeviceAssertionVerifier implements DeviceAuthenticator {
  constructor(private readonly options: DeviceAssertionVerifierOptions) {}

  private reject(): ServiceError {
    return new ServiceError('InvalidAuthenticationToken', 'The device assertion is invalid, expired, already used, or the device is not enrolled.', {
      headers: { 'WWW-Authenticate': this.options.challenge },
    });
  }

  async authenticate(authorization: string, audience: string): Promise<DevicePrincipal> {
    const match = /^DeviceAssertion\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)\s*$/i.exec(authorization.trim());
    if (!match?.[1]) throw this.reject();
    const token = match[1];

    let deviceId: string;
    try {
      if (decodeProtectedHeader(token).alg !== 'ES256') throw this.reject();
      const unverified = decodeJwt(token);
      if (typeof unverified.iss !== 'string' || !isGuid(unverified.iss)) throw this.reject();
      deviceId = unverified.iss.toLowerCase();
    } catch {
      throw this.reject();
    }

    const tenantId = await this.options.devices.tenantOf(deviceId);
    if (tenantId === undefined) throw this.reject();
    const [found, tenant] = await Promise.all([this.options.devices.get(tenantId, deviceId), this.options.tenants.get(tenantId)]);
    const device = found?.value;
    if (!device) throw this.reject();

    const now = this.options.clock();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      const key = await importJWK({ ...device.deviceKey }, 'ES256');
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        audience,
        issuer: deviceId,
        subject: deviceId,
        requiredClaims: ['iat', 'exp', 'jti'],
        clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
        currentDate: now,
      }));
    } catch {
      throw this.reject();
    }
    const { iat, exp, jti } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number' || typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw this.reject();
    if (exp - iat > MAX_ASSERTION_LIFETIME_SECONDS || exp <= iat) throw this.reject();
    if (iat > nowSeconds + ASSERTION_CLOCK_SKEW_SECONDS) throw this.reject();
    if (!isTenantActive(tenant?.value)) throw tenantNotOnboarded(onboardingStartUrl(audience, device.tenantId));

    const claimed = await this.options.jtis.claim(deviceId, jti, new Date((exp + ASSERTION_CLOCK_SKEW_SECONDS) * 1000));
    if (!claimed) throw this.reject();
    return { tenantId: device.tenantId, deviceId, userId: device.userId, deviceName: device.deviceName };
  }
}
