import { inject } from 'vitest';
import { resetConfigForTests } from '../../shared/config.js';

// Every test file runs with development-mode settings against the shared in-memory Azurite.
process.env.TABLES_CONNECTION_STRING = inject('tablesConnectionString');
// The browser global setup found (or installed) for the browser suites.
process.env.CHROMIUM_PATH = inject('chromiumPath');
process.env.PINRESET_DEV_MODE = 'true';
process.env.PINRESET_PUBLIC_BASE_URL ??= 'http://localhost:7071';
// Tests rotate keys back to back; the rotation interval has its own test.
process.env.PINRESET_KEY_ROTATION_MIN_INTERVAL_SECONDS ??= '0';
delete process.env.TABLES_ENDPOINT;
delete process.env.WEBSITE_INSTANCE_ID;
delete process.env.WEBSITE_SITE_NAME;
resetConfigForTests();
