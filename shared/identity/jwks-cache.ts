import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { ServiceError } from '../domain/errors.js';
import { outboundFetch } from '../outbound-fetch.js';

/** A signing key and the issuer it may sign for (Entra publishes it as a template with `{tenantid}`). */
export interface SigningKey {
  /** A node KeyObject: jose verifies with it about a fifth faster than with a WebCrypto CryptoKey. */
  key: KeyObject;
  issuer: string | undefined;
}

export interface JwksCacheOptions {
  url: string;
  /** An unknown kid triggers a refetch at most this often (Entra rolls keys; attackers send junk kids). */
  refetchCooldownMs?: number;
  /** Keys are refreshed on use after this age; stale keys stay usable if the refresh fails. */
  maxAgeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Entra's signing keys, fetched from the authority's JWKS endpoint and cached in memory.
 * A JWKS endpoint that cannot be reached when no usable key is cached is 503 (not 401): the
 * caller's token may be perfectly valid.
 */
export class JwksCache {
  private keys = new Map<string, SigningKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly refetchCooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: JwksCacheOptions) {
    this.refetchCooldownMs = options.refetchCooldownMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** The RS256 key for `kid`, or undefined when the JWKS does not hold it. */
  async getKey(kid: string): Promise<SigningKey | undefined> {
    const age = this.now() - this.fetchedAt;
    const known = this.keys.get(kid);
    if (known && age < this.maxAgeMs) return known;
    if (known) {
      await this.refresh().catch(() => undefined);
      return this.keys.get(kid) ?? known;
    }
    if (age >= this.refetchCooldownMs) await this.refresh();
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    let document: { keys?: JWK[] };
    try {
      const response = await outboundFetch(this.options.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`JWKS endpoint answered ${response.status}`);
      document = (await response.json()) as { keys?: JWK[] };
      if (!Array.isArray(document.keys)) throw new Error('JWKS document has no keys array');
    } catch (error) {
      throw new ServiceError('ServiceUnavailable', 'The identity provider signing keys could not be retrieved. Retry later.', {
        retryAfterSeconds: 30,
        cause: error,
      });
    }
    const keys = new Map<string, SigningKey>();
    for (const jwk of document.keys) {
      if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      try {
        const issuer = typeof (jwk as { issuer?: unknown }).issuer === 'string' ? (jwk as { issuer: string }).issuer : undefined;
        keys.set(jwk.kid, { key: createPublicKey({ key: { kty: jwk.kty, n: jwk.n ?? '', e: jwk.e ?? '' }, format: 'jwk' }), issuer });
      } catch {
        // A malformed key in the set must not take the other keys down with it.
      }
    }
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}
