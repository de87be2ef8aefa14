import { afterAll, beforeAll } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { resetConfigForTests } from '../../shared/config.js';
import { startLocalHost, type RunningLocalHost } from '../../shared/http/local-host.js';
import { setServices } from '../../shared/wiring.js';

/** The JSON body of a service answer as the contract type `T` (cli/client/types.ts mirrors api.md). */
export async function jsonOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface LocalHostHandle {
  /** Base URL, e.g. http://127.0.0.1:43121 (also the service's public base URL in this test file). */
  readonly url: string;
  request(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Starts the local host (the same route table as the Functions host) on a free loopback port for
 * this test file, with that URL as the service's public base URL.
 */
export function useLocalHost(): LocalHostHandle {
  let host: RunningLocalHost | undefined;
  const handle: LocalHostHandle = {
    get url() {
      if (!host) throw new Error('local host not started yet');
      return host.url;
    },
    request: (path, init) => fetch(`${handle.url}${path}`, { redirect: 'manual', ...init }),
  };
  beforeAll(async () => {
    host = await startLocalHost({ routes: ROUTES, port: 0 });
    process.env.PINRESET_PUBLIC_BASE_URL = host.url;
    resetConfigForTests();
    setServices(undefined);
  });
  afterAll(async () => {
    await host?.close();
  });
  return handle;
}
