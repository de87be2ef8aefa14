import { type AuditEventInput, userInitiator } from '../domain/audit.js';
import { ServiceError } from '../domain/errors.js';
import type { UserPrincipal } from '../identity/principal.js';
import { decryptProtectedSecret, parseProtectedSecret, ProtectedSecretError, type ParsedProtectedSecret } from '../keys/jwe-decryptor.js';
import type { TenantRepository } from '../storage/tenant-repository.js';
import type { AuditLog } from './audit-log.js';
import type { ProtectorKeyService } from './protector-keys.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TenantStateCache } from './tenant-state-cache.js';

/** Recorded in the audit log only; the caller always gets the same answer for every one of them. */
export type DecryptFailureReason =
  | 'malformed' | 'unsupportedHeader' | 'bindingMismatch' | 'tenantNotActive' | 'unknownKey' | 'retiredKey' | 'decryptFailed' | 'rateLimited';

export interface DecryptedProtector {
  /** Base64 of the 32-byte protector. */
  secret: string;
  keyId: string;
  reprotectRecommended: boolean;
}

export interface DecryptLimits {
  perUser: number;
  perTenant: number;
}

export const INVALID_PROTECTED_SECRET_MESSAGE = 'The protected secret could not be decrypted.';

/** The one answer to every decrypt failure: no detail, so the answer is no oracle. */
export function invalidProtectedSecret(): ServiceError {
  return new ServiceError('InvalidProtectedSecret', INVALID_PROTECTED_SECRET_MESSAGE);
}

class DecryptRefused extends Error {
  /** `answer`: the response when it is not the uniform 400 (only the 429 of a rate limit). */
  constructor(readonly reason: DecryptFailureReason, readonly answer: ServiceError = invalidProtectedSecret()) {
    super(reason);
  }
}

/**
 * Decrypts a protector after MFA (the pipeline checked the token and its MFA). Order: rate limits
 * (every attempt counts), JWE structure and allow-list, binding of the header's tid/oid to the caller,
 * active tenant and key state (short-lived state cache, refusals confirmed by storage), then the RSA-OAEP + AES-GCM decrypt.
 *
 * Every attempt is audited. If the audit record cannot be written the request fails closed with 503
 * and the secret is not returned: a decrypt that leaves no trace must not happen.
 */
export class ProtectorDecryptService {
  constructor(private readonly deps: {
    keys: ProtectorKeyService;
    tenants: TenantRepository;
    rateLimiter: RateLimiter;
    audit: AuditLog;
    limits: () => DecryptLimits;
    /** Shared with the key service (which invalidates it on rotate, retire and offboarding). */
    state?: TenantStateCache;
  }) {}

  async decrypt(caller: UserPrincipal, protectedSecret: string, correlationId: string): Promise<DecryptedProtector> {
    let kid: string | undefined;
    try {
      await this.checkRateLimits(caller);
      const parsed = this.parse(protectedSecret);
      kid = parsed.header.kid;
      const result = await this.decryptParsed(caller, parsed);
      await this.record(caller, correlationId, 'success', null, kid);
      return result;
    } catch (error) {
      if (error instanceof DecryptRefused) {
        await this.record(caller, correlationId, 'failure', error.reason, kid);
        throw error.answer;
      }
      throw error;
    }
  }

  private async checkRateLimits(caller: UserPrincipal): Promise<void> {
    const limits = this.deps.limits();
    const decision = await this.deps.rateLimiter.consume([
      { scope: 'user', tenantId: caller.tenantId, subject: caller.objectId, limit: limits.perUser },
      { scope: 'tenant', tenantId: caller.tenantId, subject: 'all', limit: limits.perTenant },
    ]);
    if (decision.allowed) return;
    throw new DecryptRefused('rateLimited', new ServiceError('TooManyRequests',
      `Too many decrypt attempts. Retry after ${decision.retryAfterSeconds} seconds.`, { retryAfterSeconds: decision.retryAfterSeconds }));
  }

  private parse(protectedSecret: string): ParsedProtectedSecret {
    try {
      return parseProtectedSecret(protectedSecret);
    } catch (error) {
      if (error instanceof ProtectedSecretError) throw new DecryptRefused(error.reason);
      throw error;
    }
  }

  private async decryptParsed(caller: UserPrincipal, parsed: ParsedProtectedSecret): Promise<DecryptedProtector> {
    const { kid, tid, oid } = parsed.header;
    // Another user's (or tenant's) protector: refused before any key is touched.
    if (tid !== caller.tenantId || oid !== caller.objectId) throw new DecryptRefused('bindingMismatch');
    const [active, key] = await Promise.all([this.isActive(caller.tenantId), this.deps.keys.decryptionKey(caller.tenantId, kid)]);
    if (!active) throw new DecryptRefused('tenantNotActive');
    if (!key.ok) throw new DecryptRefused(key.reason);
    let plaintext: Buffer;
    try {
      plaintext = decryptProtectedSecret(parsed, key.privateKey);
    } catch (error) {
      if (error instanceof ProtectedSecretError) throw new DecryptRefused(error.reason);
      throw error;
    }
    const secret = plaintext.toString('base64');
    plaintext.fill(0);
    return { secret, keyId: kid, reprotectRecommended: !key.isCurrent };
  }

  /** Only "active" is cached, so a tenant that is not active is always confirmed by storage. */
  private async isActive(tenantId: string): Promise<boolean> {
    const read = async () => ((await this.deps.tenants.get(tenantId))?.value.onboardingState === 'active' ? true : undefined);
    return (await (this.deps.state ? this.deps.state.get(tenantId, 'tenantActive', read) : read())) === true;
  }

  private async record(caller: UserPrincipal, correlationId: string, result: 'success' | 'failure', reason: DecryptFailureReason | null, kid: string | undefined): Promise<void> {
    const event: AuditEventInput = {
      tenantId: caller.tenantId,
      activity: 'protectorDecrypt',
      result,
      resultReason: reason,
      initiatedBy: userInitiator(caller),
      targetResources: kid ? [{ id: kid, type: 'protectorKey' }] : [],
      correlationId,
    };
    try {
      await this.deps.audit.record(event);
    } catch (error) {
      throw new ServiceError('ServiceUnavailable', 'The attempt could not be audited, so nothing was decrypted. Retry later.', { retryAfterSeconds: 5, cause: error });
    }
  }
}
