import { afterEach, describe, expect, it, vi } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { Services, setServices } from '../../shared/wiring.js';
import { invoke } from '../support/invoke.js';
import { useSimulatedMicrosoft } from '../support/microsoft.js';
import { bearer, randomTenantId, userToken } from '../support/tokens.js';

useSimulatedMicrosoft();
afterEach(() => {
  setServices(undefined);
  vi.restoreAllMocks();
});

describe('a bug in a handler', () => {
  it('answers 500 InternalServerError in the Graph envelope, hides the internals, and logs them with the request id', async () => {
    const logged: string[] = [];
    for (const method of ['error', 'warn', 'log', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      });
    }
    const broken = {
      get: async () => {
        throw new TypeError('secret-internal detail: row 42 of Tenants');
      },
    };
    setServices(new Services(getConfig(), { tenants: broken }));

    const response = await invoke('GET', '/v1.0/organization', { headers: bearer(await userToken({ tid: randomTenantId() })) });

    expect(response.status).toBe(500);
    const requestId = response.headers.get('request-id');
    expect(response.json()).toEqual({
      error: {
        code: 'InternalServerError',
        message: 'An internal server error occurred. Quote the request-id when reporting it.',
        innerError: { date: expect.any(String), 'request-id': requestId, 'client-request-id': requestId },
      },
    });
    expect(response.text).not.toContain('secret-internal');
    expect(response.text).not.toContain('TypeError');
    const logLine = logged.find((line) => line.includes(requestId ?? '-'));
    expect(logLine).toContain('secret-internal detail');
  });
});
