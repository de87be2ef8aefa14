import { describe, expect, it } from 'vitest';
import {
  canTransition,
  DEVICE_ACTION_ERROR_CODES,
  deviceActionErrorCode,
  isFinalState,
  isOpenState,
  isPasscodeExpired,
  ownerTypeFor,
  passcodeActionNameFor,
  passcodeExpiry,
  type ActionState,
} from '../../shared/domain/device.js';
import { DEFAULT_PIN_COMPLEXITY, PIN_FAILURE_CODES } from '../../shared/domain/pin-policy.js';
import { failureDescription } from '../../shared/services/passcode-reset.js';

const STATES: ActionState[] = ['pending', 'active', 'done', 'failed', 'canceled'];

describe('device domain', () => {
  it('maps joined and hybrid joined devices to company / newPasscode and registered ones to personal / resetPasscode', () => {
    expect(ownerTypeFor('azureADJoined')).toBe('company');
    expect(ownerTypeFor('hybridAzureADJoined')).toBe('company');
    expect(ownerTypeFor('azureADRegistered')).toBe('personal');
    expect(passcodeActionNameFor('azureADJoined')).toBe('newPasscode');
    expect(passcodeActionNameFor('hybridAzureADJoined')).toBe('newPasscode');
    expect(passcodeActionNameFor('azureADRegistered')).toBe('resetPasscode');
  });

  it('allows pending → active → done|failed, cancel while open, and nothing out of a final state', () => {
    expect(canTransition('pending', 'active')).toBe(true);
    expect(canTransition('active', 'done')).toBe(true);
    expect(canTransition('active', 'failed')).toBe(true);
    expect(canTransition('pending', 'canceled')).toBe(true);
    expect(canTransition('active', 'canceled')).toBe(true);
    expect(canTransition('pending', 'done')).toBe(false);
    expect(canTransition('active', 'pending')).toBe(false);
    for (const final of ['done', 'failed', 'canceled'] as const) {
      expect(isFinalState(final)).toBe(true);
      expect(isOpenState(final)).toBe(false);
      for (const to of STATES) expect(canTransition(final, to)).toBe(false);
    }
    expect(isOpenState('pending') && isOpenState('active')).toBe(true);
  });

  it('shows a passcode for exactly 7 days from generation', () => {
    const generated = new Date('2025-03-01T10:00:00Z');
    const expires = passcodeExpiry(generated).toISOString();
    expect(expires).toBe('2025-03-08T10:00:00.000Z');
    expect(isPasscodeExpired(expires, new Date('2025-03-08T09:59:59.999Z'))).toBe(false);
    expect(isPasscodeExpired(expires, new Date('2025-03-08T10:00:00Z'))).toBe(true);
  });

  it('explains failures to the admin: the field case says to align pinMinimumLength; unknown codes are named; expiry says what to check', () => {
    const action = { policy: { ...DEFAULT_PIN_COMPLEXITY } } as Parameters<typeof failureDescription>[1];
    expect(failureDescription('InvalidPinTooFewCharacters', action)).toContain('align pinMinimumLength');
    expect(failureDescription('SomethingElse', action)).toContain('SomethingElse');
    expect(failureDescription('PasscodeExpired', action)).toContain('7 days');
  });
});

describe('deviceActionErrorCode (Graph Int32 errorCode)', () => {
  it('keeps the documented numbers (docs/passcode-reset.md): never renumbered, 0 for none, 1 for a name not in the table', () => {
    expect(DEVICE_ACTION_ERROR_CODES).toEqual({
      InvalidPinTooFewCharacters: 1001,
      InvalidPinTooManyCharacters: 1002,
      InvalidPinMissingRequiredCharacters: 1003,
      InvalidPinDisallowedCharacters: 1004,
      InvalidPinConstantStep: 1005,
      InvalidPinUnknownCharacters: 1006,
      PasscodeExpired: 2001,
    });
    expect(deviceActionErrorCode(null)).toBe(0);
    expect(deviceActionErrorCode('NgcContainerLocked')).toBe(1);
    expect(deviceActionErrorCode('toString')).toBe(1);
    for (const code of PIN_FAILURE_CODES) expect(deviceActionErrorCode(code)).toBeGreaterThan(1000);
  });
});
