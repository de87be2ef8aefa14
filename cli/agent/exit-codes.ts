/** Exit codes of pinreset-agent (documented in --help and docs/try-it.md). */
export const EXIT = {
  ok: 0,
  /** Bad command line: unknown command or option, missing or invalid value. */
  usage: 1,
  /** The service refused the request or could not be reached (a Graph error other than below). */
  serviceError: 2,
  /** The service requires (recent) multi-factor authentication: step up and retry. */
  mfaRequired: 3,
  /** The protector could not be recovered or did not match the stored hash. */
  verificationFailed: 4,
  /** No usable device state: not enrolled, unreadable state file, or the operation needs what it lacks. */
  notEnrolled: 5,
  /** A pending passcode was refused by the device's local PIN policy (reported as failed). */
  passcodeRefused: 6,
  /** Not signed in, the sign-in expired or was revoked, or an interactive sign-in failed: run login. */
  signInRequired: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  usage error (unknown command or option, missing or invalid value)
  2  service error (the service refused the request, or could not be reached)
  3  multi-factor authentication required (step up and retry)
  4  verification failed (the protector could not be recovered, or its hash did not match)
  5  not enrolled / no usable device state
  6  a pending passcode was refused by the local PIN policy (reported to the service as failed)
  7  not signed in, or the sign-in expired or failed (run pinreset-agent login)`;
