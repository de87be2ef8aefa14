import { readFileSync } from 'node:fs';
import { writeJsonFile } from './json-file.js';
import type { DirectorySnapshot, SimulatedDirectory } from './simulated-directory.js';

/**
 * Keeps the simulated directory in a JSON file beside Azurite's data, so that a restarted `npm start`
 * still finds the service principals its tenants consented to (verify would otherwise report them
 * missing). Development mode only; the file holds ids and names, nothing secret.
 */
export function persistDirectory(directory: SimulatedDirectory, path: string): void {
  try {
    directory.restore(JSON.parse(readFileSync(path, 'utf8')) as DirectorySnapshot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the simulated directory ${path}: ${(error as Error).message}`);
  }
  directory.onChange = () => writeJsonFile(path, directory.snapshot());
}
