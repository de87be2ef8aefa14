import type { generateKeyPair, JWK, JWTPayload } from 'jose';

type SigningKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** jose is loaded on first use: the development routes are registered in production too (and answer 404). */
const jose = () => import('jose');

/**
 * The simulated Entra ID's token signing key (development mode and tests only). Generated in
 * memory on first use; its public half is served as the authority's JWKS.
 */
export class DevSigner {
  private keyPair: Promise<{ pair: SigningKeyPair; publicJwk: JWK }> | undefined;

  private keys() {
    this.keyPair ??= (async () => {
      const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await jose();
      const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      const exported = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(exported);
      const publicJwk: JWK = { kty: 'RSA', use: 'sig', kid, n: exported.n, e: exported.e, alg: 'RS256' };
      return { pair, publicJwk };
    })();
    return this.keyPair;
  }

  /** The private key as a JWK: the local host's cluster workers all sign and verify with the primary's key. */
  async exportPrivateJwk(): Promise<JWK> {
    const { pair } = await this.keys();
    return (await jose()).exportJWK(pair.privateKey);
  }

  /**
   * Uses `privateJwk` (from exportPrivateJwk, e.g. of an earlier process) instead of a key of its own.
   * Rejects, keeping the current key, when it is not an RSA private key whose halves sign and verify.
   */
  async usePrivateJwk(privateJwk: JWK): Promise<void> {
    const keys = (async () => {
      const { calculateJwkThumbprint, importJWK, jwtVerify, SignJWT } = await jose();
      if (privateJwk.kty !== 'RSA' || typeof privateJwk.n !== 'string' || typeof privateJwk.e !== 'string' || typeof privateJwk.d !== 'string') {
        throw new Error('not an RSA private key');
      }
      const privateKey = await importJWK({ ...privateJwk, alg: 'RS256' }, 'RS256');
      const publicPart: JWK = { kty: 'RSA', n: privateJwk.n, e: privateJwk.e };
      const publicKey = await importJWK(publicPart, 'RS256');
      // A key whose private half does not belong to its public half would sign tokens nobody can verify.
      await jwtVerify(await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).sign(privateKey), publicKey);
      const kid = await calculateJwkThumbprint(publicPart);
      return { pair: { privateKey, publicKey } as SigningKeyPair, publicJwk: { ...publicPart, use: 'sig', kid, alg: 'RS256' } };
    })();
    // Anything that asks for the key meanwhile (a JWKS request) waits for this one, not a fresh pair.
    const previous = this.keyPair;
    this.keyPair = keys;
    try {
      await keys;
    } catch (error) {
      this.keyPair = previous;
      throw error;
    }
  }

  /** As Entra's common JWKS does, each key names the issuer it signs for (tenant as a template). */
  async jwks(authorityUrl: string): Promise<{ keys: JWK[] }> {
    const { publicJwk } = await this.keys();
    return { keys: [{ ...publicJwk, issuer: `${authorityUrl}/{tenantid}/v2.0` } as JWK] };
  }

  async sign(payload: JWTPayload): Promise<string> {
    const { pair, publicJwk } = await this.keys();
    const { SignJWT } = await jose();
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: publicJwk.kid ?? '' }).sign(pair.privateKey);
  }

  /** For the simulated Graph, which checks the app-only tokens the simulated authority issued. */
  async verify(token: string): Promise<JWTPayload> {
    const { publicJwk } = await this.keys();
    const { importJWK, jwtVerify } = await jose();
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'RS256'), { algorithms: ['RS256'] });
    return payload;
  }
}
