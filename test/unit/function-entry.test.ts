import functions, { type HttpHandler } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { HTTP_METHODS } from '../../shared/http/route-table.js';

describe('the Functions entry (package.json main)', () => {
  it('registers every route of the route table with every method, anonymously, and every timer of the timer table', async () => {
    const registered: { name: string; route?: string; methods?: string[]; authLevel?: string; handler: HttpHandler }[] = [];
    const timers: { name: string; schedule: string }[] = [];
    vi.spyOn(functions.app, 'timer').mockImplementation((name, options) => {
      timers.push({ name, schedule: options.schedule });
    });
    vi.spyOn(functions.app, 'http').mockImplementation((name, options) => {
      registered.push({ name, route: options.route, methods: options.methods, authLevel: options.authLevel, handler: options.handler });
    });
    const { ROUTES } = await import('../../functions/routes.js');
    const { TIMERS } = await import('../../functions/timers.js');
    await import('../../functions/index.js');
    expect(registered.map((entry) => [entry.name, entry.route])).toEqual(ROUTES.map((route) => [route.name, route.route]));
    for (const entry of registered) {
      expect(entry.methods).toEqual([...HTTP_METHODS]);
      expect(entry.authLevel).toBe('anonymous');
    }
    expect(registered.at(-1)?.route).toBe('{*path}');
    // Registration loads no operation; the first request loads the route's module and answers through the pipeline.
    const notFound = await registered
      .at(-1)!
      .handler(new functions.HttpRequest({ method: 'GET', url: 'http://localhost/no/such/resource' }), new functions.InvocationContext());
    expect(notFound.status).toBe(404);
    expect(JSON.parse(String(notFound.body))).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
    expect(timers).toEqual(TIMERS.map(({ name, schedule }) => ({ name, schedule })));
    expect(timers.map((timer) => timer.name)).toEqual(['passcodeExpiry', 'protectorKeyRotation', 'housekeeping']);
  });
});
