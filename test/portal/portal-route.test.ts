import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPortalDirectoryForTests } from '../../functions/portal.js';
import { useLocalHost } from '../support/local-host.js';

const host = useLocalHost();
const INDEX = '<!doctype html><title>admin center</title><script type="module" src="/portal/assets/index-AbCdEf12.js"></script>';
const SCRIPT = 'console.log("portal");';
let folder: string;

beforeAll(() => {
  // A stand-in build: the route's own rules, independent of what the bundle holds (the browser suite uses the real one).
  folder = mkdtempSync(join(tmpdir(), 'portal-'));
  mkdirSync(join(folder, 'assets'));
  writeFileSync(join(folder, 'index.html'), INDEX);
  writeFileSync(join(folder, 'assets', 'index-AbCdEf12.js'), SCRIPT);
  writeFileSync(join(folder, 'assets', 'index-AbCdEf12.css'), 'body{}');
  writeFileSync(join(folder, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
  writeFileSync(join(folder, 'secret.key'), 'not served: no content type for it');
  writeFileSync(join(tmpdir(), 'outside.html'), 'outside the bundle');
  setPortalDirectoryForTests(folder);
});

afterAll(() => {
  setPortalDirectoryForTests(undefined);
  rmSync(folder, { recursive: true, force: true });
});

describe('GET /portal/ (the admin center)', () => {
  it('answers index.html with a strict CSP: no inline script or style, frame-ancestors none, the authority allowed to connect', async () => {
    const response = await host.request('/portal/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe(INDEX);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/connect-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('redirects /portal to /portal/, keeping the query', async () => {
    const response = await host.request('/portal?code=x');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${host.url}/portal/?code=x`);
  });

  it('serves hashed assets as immutable with their content type, and 304 for a matching If-None-Match', async () => {
    const response = await host.request('/portal/assets/index-AbCdEf12.js');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(SCRIPT);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-security-policy')).toBeNull();
    const etag = response.headers.get('etag') ?? '';
    const again = await host.request('/portal/assets/index-AbCdEf12.js', { headers: { 'If-None-Match': `W/${etag}, "other"` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await host.request('/portal/assets/index-AbCdEf12.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 304 for index.html too, and revalidates it (no-cache) rather than caching it for long', async () => {
    const first = await host.request('/portal/devices');
    const second = await host.request('/portal/', { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    expect(second.status).toBe(304);
    expect(second.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves index.html for client-side routes, and 404 (Graph envelope) for a missing asset', async () => {
    for (const route of ['/portal/devices', '/portal/devices/0f0e7c5e-8a54-4d55-9c3f-5a9d3b0c2f11', '/portal/audit?activity=passcodeRevealed']) {
      const response = await host.request(route);
      expect(response.status, route).toBe(200);
      expect(await response.text()).toBe(INDEX);
    }
    for (const missing of ['/portal/assets/index-Zz99Zz99.js', '/portal/assets/nothing', '/portal/favicon.ico', '/portal/secret.key']) {
      const response = await host.request(missing);
      expect(response.status, missing).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Request_ResourceNotFound');
    }
    expect((await host.request('/portal/robots.txt')).headers.get('cache-control')).toBe('no-cache');
  });

  it('refuses path traversal, however it is spelled', async () => {
    for (const path of [
      '/portal/../outside.html',
      '/portal/%2e%2e/outside.html',
      '/portal/assets/%2e%2e%2f%2e%2e%2foutside.html',
      '/portal/..%5Coutside.html',
      '/portal/assets//index-AbCdEf12.js',
      '/portal/%00.html',
    ]) {
      const response = await host.request(path);
      expect([400, 404], path).toContain(response.status);
      expect(await response.text(), path).not.toContain('outside the bundle');
    }
  });

  it('answers HEAD without a body, and refuses other methods with 405', async () => {
    const head = await host.request('/portal/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await host.request('/portal/', { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('the admin center CSP names the authority', () => {
  it('lets the page call another authority origin (a real cloud) and nothing else', async () => {
    const { portalContentSecurityPolicy } = await import('../../functions/portal.js');
    const { getConfig } = await import('../../shared/config.js');
    const config = { ...getConfig(), publicBaseUrl: 'https://pinreset.contoso.com', authorityUrl: 'https://login.microsoftonline.com' };
    const csp = portalContentSecurityPolicy(config);
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com;");
    expect(portalContentSecurityPolicy({ ...config, authorityUrl: 'https://pinreset.contoso.com/dev/login' })).toContain("connect-src 'self';");
  });
});
