import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevSigner } from '../../shared/dev/dev-signer.js';
import { persistSigningKey } from '../../shared/dev/signing-key-file.js';

const AUTHORITY = 'http://localhost:7071/dev/login';

function keyPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'pinreset-key-')), 'nested', 'dev-signing-key.json');
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const kidOf = async (signer: DevSigner) => (await signer.jwks(AUTHORITY)).keys[0]?.kid;

describe('the development signing key file of npm start', () => {
  it('creates the key file owner-only (0600) with the private JWK the signer signs with', async () => {
    const path = keyPath();
    const signer = new DevSigner();
    expect(await persistSigningKey(signer, path)).toBe('created');
    if (process.platform !== 'win32') expect(modeOf(path)).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    expect(stored).toMatchObject({ kty: 'RSA', n: expect.any(String), e: 'AQAB', d: expect.any(String) });
    expect(stored).toEqual(await signer.exportPrivateJwk());
  });

  it('reuses the key after a restart: a token signed before verifies after, with the same kid in the JWKS', async () => {
    const path = keyPath();
    const before = new DevSigner();
    await persistSigningKey(before, path);
    const token = await before.sign({ sub: 'someone', exp: Math.floor(Date.now() / 1000) + 600 });

    const after = new DevSigner();
    expect(await persistSigningKey(after, path)).toBe('reused');
    expect(await after.verify(token)).toMatchObject({ sub: 'someone' });
    expect(await kidOf(after)).toBe(await kidOf(before));
  });

  it('serves the key being taken over to a JWKS request made before the takeover finished, never a fresh one', async () => {
    const source = new DevSigner();
    const privateJwk = await source.exportPrivateJwk();
    const signer = new DevSigner();
    const takeover = signer.usePrivateJwk(privateJwk);
    // A service process that listens at once can be asked for its JWKS while the key is still importing.
    const kidDuring = kidOf(signer);
    await takeover;
    expect(await kidDuring).toBe(await kidOf(source));
    expect(await kidOf(signer)).toBe(await kidOf(source));
  });

  it('keeps its own key when the key to take over is refused', async () => {
    const signer = new DevSigner();
    const own = await kidOf(signer);
    await expect(signer.usePrivateJwk({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' })).rejects.toThrow();
    expect(await kidOf(signer)).toBe(own);
  });

  it('tightens a key file another program left readable by others back to 0600', async () => {
    if (process.platform === 'win32') return;
    const path = keyPath();
    await persistSigningKey(new DevSigner(), path);
    chmodSync(path, 0o644);
    expect(await persistSigningKey(new DevSigner(), path)).toBe('reused');
    expect(modeOf(path)).toBe(0o600);
  });

  it.each([
    ['not JSON', () => '{"kty":"RSA","n":'],
    ['a public key only', (jwk: Record<string, string>) => JSON.stringify({ kty: 'RSA', n: jwk.n, e: jwk.e })],
    ['an EC key', () => JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' })],
    ['halves that do not belong together', (jwk: Record<string, string>, other: Record<string, string>) => JSON.stringify({ ...jwk, n: other.n })],
  ])('replaces a corrupt key file (%s) with a new 0600 key, and the old tokens no longer verify', async (_, corrupt) => {
    const path = keyPath();
    const first = new DevSigner();
    await persistSigningKey(first, path);
    const token = await first.sign({ sub: 'someone' });
    const original = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    const other = (await new DevSigner().exportPrivateJwk()) as Record<string, string>;
    writeFileSync(path, corrupt(original, other));

    const next = new DevSigner();
    expect(await persistSigningKey(next, path)).toBe('replaced');
    const replaced = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    expect(replaced.d).toEqual(expect.any(String));
    expect(replaced.n).not.toBe(original.n);
    if (process.platform !== 'win32') expect(modeOf(path)).toBe(0o600);
    await expect(next.verify(token)).rejects.toThrow();
    expect(await persistSigningKey(new DevSigner(), path)).toBe('reused');
  });

  it('stops with an error naming the path and the cause when the key file cannot be read', async () => {
    const path = keyPath();
    mkdirSync(path, { recursive: true }); // a folder where the file should be: unreadable, even for root
    const error = await persistSigningKey(new DevSigner(), path).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`cannot read the development signing key ${path}: EISDIR`);
  });
});
