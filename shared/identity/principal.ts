/** The authenticated caller of a user or admin route, built from a validated Entra access token. */
export interface UserPrincipal {
  tenantId: string;
  objectId: string;
  userPrincipalName: string | undefined;
  /** App roles (`roles`), e.g. PinReset.Administrator. */
  roles: readonly string[];
  /** Directory role template ids (`wids`), lower case. */
  wids: readonly string[];
  amr: readonly string[];
  acrs: readonly string[];
  tokenVersion: '1.0' | '2.0';
  /** Seconds since the epoch. */
  issuedAt: number;
  authTime: number | undefined;
  /** Entra's `deviceid` claim (the azureADDeviceId, lower case) when the token was obtained on a joined or registered device. */
  deviceId: string | undefined;
}

/** The authenticated caller of a device route (DeviceAssertion). */
export interface DevicePrincipal {
  tenantId: string;
  deviceId: string;
  userId: string;
  /** The device's name as enrolled (read with its key anyway), so audit events name it. */
  deviceName?: string;
}

/** Verifies `Authorization: DeviceAssertion <JWT>` (shared/identity/device-assertion-verifier.ts). */
export interface DeviceAuthenticator {
  authenticate(authorization: string, audience: string): Promise<DevicePrincipal>;
}
