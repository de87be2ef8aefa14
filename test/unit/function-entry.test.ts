import functions from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { HTTP_METHODS } from '../../shared/http/route-table.js';

describe('the Functions entry (package.json main)', () => {
  it('registers every route of the route table with every method, anonymously', async () => {
    const registered: { name: string; route?: string; methods?: string[]; authLevel?: string }[] = [];
    vi.spyOn(functions.app, 'http').mockImplementation((name, options) => {
      registered.push({ name, route: options.route, methods: options.methods, authLevel: options.authLevel });
    });
    const { ROUTES } = await import('../../functions/routes.js');
    await import('../../functions/index.js');
    expect(registered.map((entry) => entry.route)).toEqual(ROUTES.map((route) => route.route));
    for (const entry of registered) {
      expect(entry.methods).toEqual([...HTTP_METHODS]);
      expect(entry.authLevel).toBe('anonymous');
    }
    expect(registered.at(-1)?.route).toBe('{*path}');
  });
});
