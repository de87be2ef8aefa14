/** The typed client library of the PIN reset service (used by the pinreset-agent CLI and the demo). */
export * from './errors.js';
export * from './http.js';
export * from './device-key.js';
export * from './protector.js';
export * from './onboarding.js';
export * from './pin-reset-client.js';
export * from './sign-in.js';
export type * from './types.js';
