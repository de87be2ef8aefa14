import type { TimerDefinition } from '../shared/http/local-scheduler.js';
import { housekeepingTimer, HOUSEKEEPING_SCHEDULE } from './housekeeping-timer.js';
import { keyRotationTimer, KEY_ROTATION_SCHEDULE } from './key-rotation-timer.js';
import { passcodeExpiryTimer, PASSCODE_EXPIRY_SCHEDULE } from './passcode-expiry-timer.js';

/** The one timer table: `functions/index.ts` registers it with `app.timer`, the local host schedules it. */
export const TIMERS: readonly TimerDefinition[] = [
  { name: 'passcodeExpiry', schedule: PASSCODE_EXPIRY_SCHEDULE, handler: passcodeExpiryTimer },
  { name: 'protectorKeyRotation', schedule: KEY_ROTATION_SCHEDULE, handler: keyRotationTimer },
  { name: 'housekeeping', schedule: HOUSEKEEPING_SCHEDULE, handler: housekeepingTimer },
];
