import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../shared/dev/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
  }
}

let azurite: RunningAzurite | undefined;

/** One in-memory Azurite for the whole run; tests isolate themselves with fresh tenant ids. */
export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite();
  project.provide('tablesConnectionString', azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
