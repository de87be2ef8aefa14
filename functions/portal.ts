import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from '../shared/domain/errors.js';
import { etagListMatches } from '../shared/domain/etag.js';
import type { ServiceConfig } from '../shared/config.js';
import { defineOperation, type OperationContext } from '../shared/http/pipeline.js';
import { empty, raw, redirect } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/**
 * The admin center: the single-page app that `npm run build` bundles into `dist/portal/` (see
 * portal/vite.config.ts), served under `/portal/`. Nothing is read at import time: the folder is
 * found and each file read on its first request, then kept in memory (the bundle is a few hundred
 * KiB and never changes while the process runs).
 */

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite's hashed output names (`assets/index-B1x2_yZ9.js`): their content never changes. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface StaticFile {
  body: Buffer;
  etag: string;
  contentType: string;
}

let portalRoot: string | undefined;
const files = new Map<string, Promise<StaticFile | undefined>>();

/** `dist/portal` of this package, whether this module runs from `functions/` (tests) or `dist/functions/`. */
function portalDirectory(): string {
  if (portalRoot) return portalRoot;
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('package.json not found above functions/portal');
    directory = parent;
  }
  portalRoot = join(directory, 'dist', 'portal');
  return portalRoot;
}

/** Test seam: serve another build folder (or forget the cached files). */
export function setPortalDirectoryForTests(directory: string | undefined): void {
  portalRoot = directory;
  files.clear();
}

/**
 * The relative file path a request names, or undefined when it is not a plain path inside the
 * bundle (`..`, `.`, empty segments, backslashes, NUL, encoded separators already decoded by the
 * route matcher).
 */
function safeRelativePath(path: string): string | undefined {
  if (path === '') return '';
  if (/[\\\0]/.test(path) || path.startsWith('/')) return undefined;
  const segments = path.replace(/\/$/, '').split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  return segments.join('/');
}

function readStatic(relativePath: string): Promise<StaticFile | undefined> {
  let pending = files.get(relativePath);
  if (!pending) {
    pending = (async () => {
      const root = portalDirectory();
      const absolute = resolve(root, relativePath);
      if (!absolute.startsWith(root + sep)) return undefined;
      const contentType = CONTENT_TYPES[extname(absolute).toLowerCase()];
      if (!contentType) return undefined;
      try {
        const body = await readFile(absolute);
        return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw error;
      }
    })();
    files.set(relativePath, pending);
    // A failed read (or a file not built yet) is looked at again next time.
    pending.then(
      (file) => {
        if (!file) files.delete(relativePath);
      },
      () => files.delete(relativePath),
    );
  }
  return pending;
}

/** The origin of the configured authority, which the page calls for tokens (`connect-src`). */
function authorityOrigin(config: ServiceConfig): string {
  return new URL(config.authorityUrl).origin;
}

/**
 * No inline script or style anywhere: the bundle is external files only, and the Fluent UI and lit
 * components style themselves through constructed style sheets, which CSP does not govern.
 */
export function portalContentSecurityPolicy(config: ServiceConfig): string {
  const self = new URL(config.publicBaseUrl).origin;
  const authority = authorityOrigin(config);
  const connect = authority === self ? "'self'" : `'self' ${authority}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(config: ServiceConfig, contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    // The authorization code arrives in the page's URL: never send it on as a Referer.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    ...(contentType.startsWith('text/html') ? { 'Content-Security-Policy': portalContentSecurityPolicy(config), 'X-Frame-Options': 'DENY' } : {}),
  };
}

async function servePortal(context: OperationContext<undefined>) {
  const pathname = new URL(context.request.url).pathname;
  if (/^\/portal$/i.test(pathname)) {
    return redirect(`${context.config.publicBaseUrl}/portal/${new URL(context.request.url).search}`);
  }
  const relativePath = safeRelativePath(context.params.path ?? '');
  if (relativePath === undefined) throw notFound('The requested resource was not found.');
  // A path with a file extension (or under assets/) names a file: missing is 404. Anything else is a
  // client-side route of the app, answered with index.html.
  const isFile = relativePath.startsWith('assets/') || extname(relativePath) !== '';
  const file = await readStatic(isFile ? relativePath : 'index.html');
  if (!file) {
    if (isFile) throw notFound(`The admin center has no file '${relativePath}'.`);
    throw notFound('The admin center is not built: run npm run build.');
  }
  const cacheControl = isFile && HASHED_ASSET.test(relativePath) ? IMMUTABLE : 'no-cache';
  const headers = { ...securityHeaders(context.config, file.contentType), ETag: file.etag, 'Cache-Control': cacheControl };
  if (etagListMatches(context.request.headers.get('if-none-match') ?? '', file.etag, 'weak')) return empty(304, headers);
  return raw(200, new Uint8Array(file.body), file.contentType, headers);
}

function portalOperation(operationId: string, summary: string) {
  return defineOperation({
    operationId,
    summary,
    tags: ['admin center'],
    auth: 'anonymous',
    responses: {
      200: {
        description: 'An admin center page or asset.',
        html: true,
        media: [...new Set(Object.values(CONTENT_TYPES).map((type) => type.split(';')[0] ?? type))].filter((type) => type !== 'text/html'),
      },
      302: { description: '/portal redirects to /portal/.' },
      304: { description: 'If-None-Match matched.' },
      404: { description: 'No such asset.' },
    },
    handle: servePortal,
  });
}

export const getPortalRoot = portalOperation(
  'portal_root_get',
  'The admin center: /portal redirects to /portal/, which answers its index.html (strict CSP, ETag, no-cache).',
);
export const getPortal = portalOperation(
  'portal_get',
  'The admin center (single-page app): index.html for its routes, hashed static assets (immutable), ETag and a strict CSP.',
);

/** `/portal` (redirect) and `/portal/…`; the literal route is listed first so it wins `/portal/`'s tie. */
export const portalRoutes: RouteDefinition[] = [
  { name: 'portalRoot', route: 'portal', methods: { GET: getPortalRoot } },
  { name: 'portal', route: 'portal/{*path}', methods: { GET: getPortal } },
];
