import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../shared/dev/azurite.js';
import { findChromium } from './browser.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
    chromiumPath: string;
  }
}

let azurite: RunningAzurite | undefined;

/** One in-memory Azurite for the whole run; tests isolate themselves with fresh tenant ids. */
export async function setup(project: TestProject): Promise<void> {
  // Once, before any worker starts: an apt-get install (fresh machine) must neither race another
  // test file for dpkg's lock nor count against a hook's timeout.
  project.provide('chromiumPath', findChromium());
  azurite = await startAzurite();
  project.provide('tablesConnectionString', azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
