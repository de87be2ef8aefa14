/** `npm run docs:api`: writes docs/api.md from the route table (see scripts/api-reference.ts). */
import { writeFile } from 'node:fs/promises';
import { ROUTES } from '../functions/routes.js';
import { renderApiReference } from './api-reference.js';

const target = new URL('../../docs/api.md', import.meta.url);
await writeFile(target, renderApiReference(ROUTES));
console.log(`wrote ${target.pathname}`);
