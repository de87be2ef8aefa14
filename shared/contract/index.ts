/** The API contract: one module per resource; the server, the CLI client, OpenAPI and tests import it. */
export * from './graph.js';
export * from './organization.js';
export * from './settings.js';
export * from './onboarding.js';
export * from './protector-keys.js';
export * from './managed-devices.js';
export * from './audit.js';
export * from './health.js';
export * from './text.js';
export * from './sign-in.js';
export * from './dev-authority.js';
