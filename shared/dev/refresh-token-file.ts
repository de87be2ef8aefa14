import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DevAuthority, RefreshTokenSnapshot } from './authority.js';
import { writeJsonFile } from './json-file.js';

const grantSchema = z.object({
  userId: z.string(),
  tenantId: z.string(),
  amr: z.array(z.string()),
  acrs: z.array(z.string()),
  authTime: z.number(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  family: z.string(),
});

/** What the file must hold to be restored; anything else (edited by hand, truncated) is dropped. */
const snapshotSchema = z.object({
  refreshTokens: z.array(z.tuple([z.string(), z.object({ grant: grantSchema, used: z.boolean() }), z.number()])),
  revokedFamilies: z.array(z.tuple([z.string(), z.literal(true), z.number()])),
}) satisfies z.ZodType<RefreshTokenSnapshot>;

/**
 * Keeps the development authority's refresh tokens in a file beside Azurite's data (`npm start`
 * only), so that a restart signs nobody out: Entra keeps refresh tokens too. The file holds the
 * SHA-256 of each token (never a token), its grant, whether it was used and the revoked sign-in
 * families, so rotation and replay detection survive the restart as well. Mode 0600; written
 * atomically after every change; a missing or unreadable file starts empty.
 */
export function persistRefreshTokens(authority: DevAuthority, path: string): void {
  const stored = snapshotSchema.safeParse(readJson(path));
  // No file yet, or one that is not ours: start with no refresh tokens (everyone signs in again).
  if (stored.success) authority.restoreRefreshTokens(stored.data);
  // Owner-only: whoever reads the file learns who is signed in, and for how long.
  authority.onRefreshTokensChange = () => writeJsonFile(path, authority.refreshTokenSnapshot(), { ownerOnly: true });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
