import { readFileSync } from 'node:fs';

let version: string | undefined;

/** The package version, read on first use (not at import: cold start). Works from source and from dist/. */
export function serviceVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const packageJson = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (packageJson.name === 'pin-reset-service' && packageJson.version) {
        version = packageJson.version;
        break;
      }
    } catch {
      // try the next location
    }
  }
  return version;
}
