import { afterAll, beforeAll, expect } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { resetConfigForTests } from '../../shared/config.js';
import { startLocalHost, type RunningLocalHost } from '../../shared/http/local-host.js';
import { setServices } from '../../shared/wiring.js';
import { exchangeOf, OpenApiConformance } from './openapi-conformance.js';

/** The JSON body of a service answer as the contract type `T` (from shared/contract). */
export async function jsonOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface LocalHostHandle {
  /** Base URL, e.g. http://127.0.0.1:43121 (also the service's public base URL in this test file). */
  readonly url: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** How many answers the host gave so far (each is checked against /openapi.json). */
  readonly answered: number;
}

let conformance: OpenApiConformance | undefined;

/**
 * Starts the local host (the same route table as the Functions host) on a free loopback port for
 * this test file, with that URL as the service's public base URL. Every answer it gives is checked
 * against the OpenAPI document (declared status, media type, JSON body valid against the schema):
 * after the file's tests, any answer that does not conform fails the file.
 */
export function useLocalHost(options: { accessLog?: (line: string) => void } = {}): LocalHostHandle {
  let host: RunningLocalHost | undefined;
  const violations: string[] = [];
  let answered = 0;
  const handle: LocalHostHandle = {
    get answered() {
      return answered;
    },
    get url() {
      if (!host) throw new Error('local host not started yet');
      return host.url;
    },
    request: (path, init) => fetch(`${handle.url}${path}`, { redirect: 'manual', ...init }),
  };
  beforeAll(async () => {
    conformance ??= new OpenApiConformance();
    const checker = conformance;
    host = await startLocalHost({
      routes: ROUTES,
      port: 0,
      ...(options.accessLog ? { accessLog: options.accessLog } : {}),
      observe: (observed) => {
        answered += 1;
        const violation = checker.violation(exchangeOf(observed));
        if (violation) violations.push(violation);
      },
    });
    process.env.PINRESET_PUBLIC_BASE_URL = host.url;
    resetConfigForTests();
    setServices(undefined);
  });
  afterAll(async () => {
    await host?.close();
    expect(violations, 'answers that do not conform to /openapi.json').toEqual([]);
  });
  return handle;
}
