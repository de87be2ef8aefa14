import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { RouteMatcher } from '../../shared/http/route-table.js';

const matcher = new RouteMatcher(ROUTES);

describe('route matching (as the Functions host does it)', () => {
  it('prefers literal routes over the catch-all and extracts parameters', () => {
    expect(matcher.match('/v1.0/organization')?.definition.name).toBe('organization');
    const byId = matcher.match('/v1.0/organization/abc%20def');
    expect(byId?.definition.name).toBe('organizationById');
    expect(byId?.params).toEqual({ id: 'abc def' });
  });

  it('matches case-insensitively and tolerates a trailing slash', () => {
    expect(matcher.match('/V1.0/Organization/')?.definition.name).toBe('organization');
  });

  it('applies {name:guid} constraints as the Functions host does: a non-GUID segment falls through to the catch-all', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(matcher.match(`/v1.0/devices/${id}/status`)?.params).toEqual({ id });
    expect(matcher.match('/v1.0/devices/..%2F..%2Fetc/status')?.definition.name).toBe('notFound');
    expect(matcher.match(`/v1.0/organization/contoso.com/pinResetSettings`)?.definition.name).toBe('notFound');
  });

  it('sends unknown paths to the catch-all 404 route', () => {
    expect(matcher.match('/v1.0/unknown/thing')?.definition.name).toBe('notFound');
  });

  it('has unique function names made of allowed characters', () => {
    const names = ROUTES.map((route) => route.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
  });
});
