import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin center bundle. Vite (already in the tree through vitest, so nothing new to download)
 * turns portal/ into dist/portal/ with content-hashed file names under assets/, which
 * functions/portal.ts serves with immutable caching. Nothing is inlined: the page's CSP allows only
 * 'self' scripts and styles.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/portal', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
});
