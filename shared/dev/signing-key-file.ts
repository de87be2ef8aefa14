import { chmodSync, readFileSync, statSync } from 'node:fs';
import type { JWK } from 'jose';
import type { DevSigner } from './dev-signer.js';
import { writeJsonFile } from './json-file.js';

/** Owner read/write only: the file holds a private key. */
const KEY_FILE_MODE = 0o600;

export type SigningKeyOrigin = 'reused' | 'created' | 'replaced';

/**
 * Keeps the simulated Entra ID's signing key in a file beside Azurite's data (`npm start` only; tests
 * keep their in-memory keys), so that tokens issued before a restart still verify after it: the
 * agent's cached sign-in and the admin center's stay valid. The file holds the private JWK, mode
 * 0600; a missing or unusable file (not JSON, not an RSA private key, halves that do not match) is
 * replaced by a new key. The key itself is never returned, printed or put in an error.
 */
export async function persistSigningKey(signer: DevSigner, path: string): Promise<SigningKeyOrigin> {
  let existed = false;
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
    existed = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the development signing key ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (
    text !== undefined &&
    (await signer.usePrivateJwk(parseJwk(text)).then(
      () => true,
      () => false,
    ))
  ) {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, KEY_FILE_MODE);
    return 'reused';
  }
  writeJsonFile(path, await signer.exportPrivateJwk(), { ownerOnly: true });
  return existed ? 'replaced' : 'created';
}

function parseJwk(text: string): JWK {
  try {
    return JSON.parse(text) as JWK;
  } catch {
    return {};
  }
}
