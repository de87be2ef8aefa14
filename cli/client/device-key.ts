import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

import type { DevicePublicJwk } from '../../shared/contract/managed-devices.js';

export type { DevicePublicJwk };

/** The device key pair as JWKs (the private one includes `d`; keep it only in the state file). */
export interface DeviceKeyPair {
  publicJwk: DevicePublicJwk;
  privateJwk: JWK;
}

/** Lifetime of a device assertion; the service accepts at most 5 minutes. */
export const DEVICE_ASSERTION_LIFETIME_SECONDS = 120;

export async function generateDeviceKey(): Promise<DeviceKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  if (publicJwk.kty !== 'EC' || publicJwk.crv !== 'P-256' || !publicJwk.x || !publicJwk.y) throw new Error('unexpected device key shape');
  return { publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, privateJwk };
}

export function publicPartOf(privateJwk: JWK): DevicePublicJwk {
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.x || !privateJwk.y) throw new Error('The device key is not an EC P-256 key.');
  return { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y };
}

export function deviceKeyThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicPartOf(jwk));
}

export interface DeviceAssertionInput {
  /** The managed device id the service assigned at enrolment (`iss` and `sub`). */
  deviceId: string;
  privateJwk: JWK;
  /** The service base URL (`aud`). */
  audience: string;
  lifetimeSeconds?: number;
  /** Seconds since the epoch; injectable for tests. */
  now?: number;
}

/**
 * `Authorization: DeviceAssertion <JWT>` (docs/api.md, docs/passcode-reset.md): ES256 by the enrolled key, iss = sub = device id,
 * aud = service base URL, short lifetime, a fresh `jti` every time.
 */
export async function signDeviceAssertion(input: DeviceAssertionInput): Promise<string> {
  const key = await importJWK(input.privateJwk, 'ES256');
  const now = input.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: await deviceKeyThumbprint(input.privateJwk) })
    .setIssuer(input.deviceId)
    .setSubject(input.deviceId)
    .setAudience(input.audience.replace(/\/+$/, ''))
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (input.lifetimeSeconds ?? DEVICE_ASSERTION_LIFETIME_SECONDS))
    .setJti(randomUUID())
    .sign(key);
}

/** The `Authorization` header value of a device: `DeviceAssertion <JWT>` with a fresh assertion. */
export async function deviceAuthorization(input: DeviceAssertionInput): Promise<string> {
  return `DeviceAssertion ${await signDeviceAssertion(input)}`;
}

/** A credential for HttpClient that signs a new assertion per request (and per retry). */
export function deviceCredential(input: Omit<DeviceAssertionInput, 'now'>): () => Promise<string> {
  return () => deviceAuthorization(input);
}
