import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

type SigningKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/**
 * The simulated Entra ID's token signing key (development mode and tests only). Generated in
 * memory on first use; its public half is served as the authority's JWKS.
 */
export class DevSigner {
  private keyPair: Promise<{ pair: SigningKeyPair; publicJwk: JWK }> | undefined;

  private keys() {
    this.keyPair ??= (async () => {
      const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      const exported = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(exported);
      const publicJwk: JWK = { kty: 'RSA', use: 'sig', kid, n: exported.n, e: exported.e, alg: 'RS256' };
      return { pair, publicJwk };
    })();
    return this.keyPair;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const { publicJwk } = await this.keys();
    return { keys: [{ ...publicJwk, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' } as JWK] };
  }

  async sign(payload: JWTPayload): Promise<string> {
    const { pair, publicJwk } = await this.keys();
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: publicJwk.kid ?? '' }).sign(pair.privateKey);
  }

  /** For the simulated Graph, which checks the app-only tokens the simulated authority issued. */
  async verify(token: string): Promise<JWTPayload> {
    const { publicJwk } = await this.keys();
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'RS256'), { algorithms: ['RS256'] });
    return payload;
  }
}
