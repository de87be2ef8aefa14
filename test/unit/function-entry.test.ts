import functions from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { HTTP_METHODS } from '../../shared/http/route-table.js';

describe('the Functions entry (package.json main)', () => {
  it('registers every route of the route table with every method, anonymously, and every timer of the timer table', async () => {
    const registered: { name: string; route?: string; methods?: string[]; authLevel?: string }[] = [];
    const timers: { name: string; schedule: string }[] = [];
    vi.spyOn(functions.app, 'timer').mockImplementation((name, options) => {
      timers.push({ name, schedule: options.schedule });
    });
    vi.spyOn(functions.app, 'http').mockImplementation((name, options) => {
      registered.push({ name, route: options.route, methods: options.methods, authLevel: options.authLevel });
    });
    const { ROUTES } = await import('../../functions/routes.js');
    const { TIMERS } = await import('../../functions/timers.js');
    await import('../../functions/index.js');
    expect(registered.map((entry) => entry.route)).toEqual(ROUTES.map((route) => route.route));
    for (const entry of registered) {
      expect(entry.methods).toEqual([...HTTP_METHODS]);
      expect(entry.authLevel).toBe('anonymous');
    }
    expect(registered.at(-1)?.route).toBe('{*path}');
    expect(timers).toEqual(TIMERS.map(({ name, schedule }) => ({ name, schedule })));
    expect(timers.map((timer) => timer.name)).toEqual(['passcodeExpiry', 'protectorKeyRotation', 'housekeeping']);
  });
});
