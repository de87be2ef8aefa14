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
}

/** The authenticated caller of a device route (DeviceAssertion). */
export interface DevicePrincipal {
  tenantId: string;
  deviceId: string;
  userId: string;
}
