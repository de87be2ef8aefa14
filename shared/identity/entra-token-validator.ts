import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ServiceError } from '../domain/errors.js';
import { isGuid } from '../domain/tenant.js';
import type { JwksCache, SigningKey } from './jwks-cache.js';
import type { UserPrincipal } from './principal.js';

export interface EntraTokenValidatorOptions {
  /** The authority (config.authorityUrl): v2 issuers are `${authorityUrl}/${tid}/v2.0`. */
  authorityUrl: string;
  /** The service app's client id and App ID URI. */
  audiences: readonly string[];
  serviceAppId: string;
  jwks: JwksCache;
  clockToleranceSeconds?: number;
  now?: () => Date;
}

const CLOCK_TOLERANCE_SECONDS = 5 * 60;

interface EntraClaims extends JWTPayload {
  tid?: unknown;
  oid?: unknown;
  upn?: unknown;
  preferred_username?: unknown;
  roles?: unknown;
  wids?: unknown;
  amr?: unknown;
  acrs?: unknown;
  ver?: unknown;
  auth_time?: unknown;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Validates Entra ID access tokens for the service app: RS256 only, a key from the authority's
 * JWKS, audience = service app id or App ID URI, v1 or v2 issuer that names the token's own `tid`
 * (the multi-tenant rule), exp/nbf with five minutes of skew.
 */
export class EntraTokenValidator {
  private readonly challenge: string;

  constructor(private readonly options: EntraTokenValidatorOptions) {
    this.challenge = `Bearer realm="", authorization_uri="${options.authorityUrl}/common/oauth2/v2.0/authorize", client_id="${options.serviceAppId}"`;
  }

  /** The `WWW-Authenticate` value for 401 answers. */
  wwwAuthenticate(withInvalidTokenError: boolean): string {
    return withInvalidTokenError ? `${this.challenge}, error="invalid_token"` : this.challenge;
  }

  private reject(message: string, tokenPresented = true, cause?: unknown): ServiceError {
    return new ServiceError('InvalidAuthenticationToken', message, {
      headers: { 'WWW-Authenticate': this.wwwAuthenticate(tokenPresented) },
      cause,
    });
  }

  async validate(authorization: string | null | undefined): Promise<UserPrincipal> {
    if (!authorization?.trim()) throw this.reject('Access token is empty.', false);
    const bearer = /^Bearer\s+(.*)$/i.exec(authorization.trim());
    if (!bearer) throw this.reject('Invalid authorization header: expected "Bearer <access token>".');
    const match = /^([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*)\s*$/.exec(bearer[1] ?? '');
    if (!match?.[1]) throw this.reject('Access token validation failure: the token is not a well-formed JWT.');
    const token = match[1];

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (error) {
      throw this.reject('Access token validation failure: the token is not a well-formed JWT.', true, error);
    }
    if (header.alg !== 'RS256') throw this.reject('Access token validation failure: the signing algorithm is not allowed.');
    if (typeof header.kid !== 'string' || !header.kid) throw this.reject('Access token validation failure: the token has no key id.');

    const signingKey = await this.options.jwks.getKey(header.kid);
    if (!signingKey) throw this.reject('Access token validation failure: the signing key is not trusted.');
    const { key } = signingKey;

    let claims: EntraClaims;
    try {
      const verified = await jwtVerify<EntraClaims>(token, key, {
        algorithms: ['RS256'],
        clockTolerance: this.options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iss', 'aud'],
        currentDate: this.options.now?.(),
      });
      claims = verified.payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw this.reject('Access token has expired or is not yet valid.', true, error);
      if (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === 'nbf' || error.claim === 'iat')) {
        throw this.reject('Access token has expired or is not yet valid.', true, error);
      }
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw this.reject('Access token validation failure. Invalid signature.', true, error);
      throw this.reject('Access token validation failure.', true, error);
    }
    const principal = this.principalFrom(claims);
    this.requireKeyIssuedFor(signingKey, principal.tenantId);
    return principal;
  }

  /**
   * A key in the authority's JWKS may be restricted to one issuer (Entra publishes `issuer`, e.g.
   * `https://login.microsoftonline.com/{tenantid}/v2.0`, or a fixed tenant for keys of other token
   * services). A key that is not for the token's own tenant at this authority must not vouch for it,
   * whatever the token's `iss` says (the Storm-0558 class of forgery). Keys without `issuer` are
   * unrestricted, as Microsoft.IdentityModel treats them.
   */
  private requireKeyIssuedFor(signingKey: SigningKey, tenantId: string): void {
    if (signingKey.issuer === undefined) return;
    const keyIssuer = signingKey.issuer.replace(/\{tenantid\}/gi, tenantId).toLowerCase();
    if (keyIssuer !== `${this.options.authorityUrl}/${tenantId}/v2.0`.toLowerCase()) {
      throw this.reject('Access token validation failure: the signing key is not valid for this issuer.');
    }
  }

  private principalFrom(claims: EntraClaims): UserPrincipal {
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((audience) => typeof audience === 'string' && this.options.audiences.includes(audience))) {
      throw this.reject('Access token validation failure. Invalid audience.');
    }
    const tenantId = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : '';
    if (!isGuid(tenantId)) throw this.reject('Access token validation failure: the token has no valid tid claim.');
    const v1Issuer = `https://sts.windows.net/${tenantId}/`;
    const v2Issuer = `${this.options.authorityUrl}/${tenantId}/v2.0`;
    const issuer = typeof claims.iss === 'string' ? claims.iss.toLowerCase() : '';
    let tokenVersion: UserPrincipal['tokenVersion'];
    if (issuer === v1Issuer) tokenVersion = '1.0';
    else if (issuer === v2Issuer.toLowerCase()) tokenVersion = '2.0';
    else throw this.reject('Access token validation failure. Invalid issuer.');
    const objectId = typeof claims.oid === 'string' ? claims.oid.toLowerCase() : '';
    if (!isGuid(objectId)) throw this.reject('Access token validation failure: the token has no valid oid claim.');
    const userPrincipalName =
      typeof claims.upn === 'string' ? claims.upn : typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
    return {
      tenantId,
      objectId,
      userPrincipalName,
      roles: stringList(claims.roles),
      wids: stringList(claims.wids).map((wid) => wid.toLowerCase()),
      amr: stringList(claims.amr),
      acrs: stringList(claims.acrs),
      tokenVersion,
      issuedAt: typeof claims.iat === 'number' ? claims.iat : 0,
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
      deviceId: typeof claims.deviceid === 'string' ? claims.deviceid.toLowerCase() : undefined,
    };
  }
}
