import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Owner read/write only, for files that hold keys or sign-ins. */
const OWNER_ONLY = 0o600;

/**
 * Writes `value` as JSON to `path` atomically (a temporary file renamed over it), creating the folder.
 * `ownerOnly`: mode 0600 whatever the umask, for the development authority's secrets.
 */
export function writeJsonFile(path: string, value: unknown, options: { ownerOnly?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  if (options.ownerOnly) {
    rmSync(temporary, { force: true }); // the mode below applies only to a file that open() creates
    writeFileSync(temporary, JSON.stringify(value), { mode: OWNER_ONLY });
    chmodSync(temporary, OWNER_ONLY);
  } else {
    writeFileSync(temporary, JSON.stringify(value));
  }
  renameSync(temporary, path);
}
