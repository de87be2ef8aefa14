import { type AuditEventInput, userInitiator } from '../domain/audit.js';
import { ServiceError } from '../domain/errors.js';
import type { UserPrincipal } from '../identity/principal.js';
import { decryptProtectedSecret, parseProtectedSecret, ProtectedSecretError, type ParsedProtectedSecret } from '../keys/jwe-decryptor.js';
import { StagedWriteConflict, type StagedWrite } from '../storage/audit-repository.js';
import type { TenantRepository } from '../storage/tenant-repository.js';
import type { AuditLog } from './audit-log.js';
import type { ProtectorKeyUsage } from './protector-key-usage.js';
import type { ProtectorKeyService } from './protector-keys.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';
import type { TenantStateCache } from './tenant-state-cache.js';

/** Recorded in the audit log only; the caller always gets the same answer for every one of them. */
export type DecryptFailureReason =
  | 'malformed'
  | 'unsupportedHeader'
  | 'bindingMismatch'
  | 'tenantNotActive'
  | 'unknownKey'
  | 'retiredKey'
  | 'decryptFailed'
  | 'rateLimited'
  /** Refused before any decrypt code ran (the pipeline): the token had no recent MFA. */
  | 'mfaRequired'
  /** Refused before any decrypt code ran (the pipeline): no usable request body. */
  | 'invalidRequest';

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

/** How many times an attempt is recorded when other instances keep counting the same user first. */
const MAX_RECORD_ATTEMPTS = 10;

interface Outcome {
  kid: string | undefined;
  result?: DecryptedProtector;
  refused?: DecryptRefused;
}

class DecryptRefused extends Error {
  /** `answer`: the response when it is not the uniform 400 (only the 429 of a rate limit). */
  constructor(
    readonly reason: DecryptFailureReason,
    readonly answer: ServiceError = invalidProtectedSecret(),
  ) {
    super(reason);
  }
}

/**
 * Decrypts a protector after MFA (the pipeline checked the token and its MFA). Order: rate limits
 * (every attempt counts), JWE structure and allow-list, binding of the header's tid/oid to the caller,
 * active tenant and key state (short-lived state cache, refusals confirmed by storage), then the RSA-OAEP + AES-GCM decrypt.
 *
 * Every attempt is audited, and its rate-limit claims are stored in the same transaction as its audit
 * row (one Table transaction per batch of concurrent attempts of a tenant). If the audit record cannot
 * be written the request fails closed with 503 and the secret is not returned: a decrypt that leaves
 * no trace must not happen.
 */
export class ProtectorDecryptService {
  constructor(
    private readonly deps: {
      keys: ProtectorKeyService;
      tenants: TenantRepository;
      rateLimiter: RateLimiter;
      audit: AuditLog;
      limits: () => DecryptLimits;
      /** Shared with the key service (which invalidates it on rotate, retire and offboarding). */
      state?: TenantStateCache;
      /** Notes the kid a device's protector uses (deviceCount); 0 table transactions once seen. */
      keyUsage?: ProtectorKeyUsage;
    },
  ) {}

  async decrypt(caller: UserPrincipal, protectedSecret: string, correlationId: string): Promise<DecryptedProtector> {
    // The decrypt is done once; its outcome is recorded with the attempt's rate-limit claims in one
    // transaction. If another instance counted the same user meanwhile, nothing was stored: count again.
    let outcome: Outcome | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const admission = await this.admit(caller);
      if (!admission.allowed) {
        await this.record(caller, correlationId, 'failure', 'rateLimited', outcome?.kid, []);
        throw new ServiceError('TooManyRequests', `Too many decrypt attempts. Retry after ${admission.retryAfterSeconds} seconds.`, {
          retryAfterSeconds: admission.retryAfterSeconds,
        });
      }
      try {
        outcome ??= await this.attempt(caller, protectedSecret);
      } catch (error) {
        admission.release();
        throw error;
      }
      try {
        await this.record(caller, correlationId, outcome.refused ? 'failure' : 'success', outcome.refused?.reason ?? null, outcome.kid, admission.claims);
      } catch (error) {
        if (error instanceof StagedWriteConflict && attempt < MAX_RECORD_ATTEMPTS) continue;
        throw unaudited(error);
      }
      if (outcome.refused) throw outcome.refused.answer;
      // Not awaited: it never throws, and costs no table transaction once this process saw the kid.
      if (outcome.kid !== undefined) void this.deps.keyUsage?.recordDecrypt(caller, outcome.kid);
      return outcome.result!;
    }
  }

  /**
   * An attempt the pipeline refused before the decrypt (no recent MFA, no usable body) is audited too,
   * as a failure; it is not counted against the rate limits (a client that steps up to MFA retries at
   * once). A password-only token trying to decrypt is a signal an admin should see.
   */
  recordRefused(caller: UserPrincipal, correlationId: string, reason: 'mfaRequired' | 'invalidRequest'): Promise<void> {
    return this.record(caller, correlationId, 'failure', reason, undefined, []);
  }

  private admit(caller: UserPrincipal): Promise<RateLimitDecision> {
    const limits = this.deps.limits();
    return this.deps.rateLimiter.consume([
      { scope: 'user', tenantId: caller.tenantId, subject: caller.objectId, limit: limits.perUser },
      { scope: 'tenant', tenantId: caller.tenantId, subject: 'all', limit: limits.perTenant },
    ]);
  }

  /** Parse, check and decrypt; a refusal is an outcome (to be audited), anything else throws. */
  private async attempt(caller: UserPrincipal, protectedSecret: string): Promise<Outcome> {
    let kid: string | undefined;
    try {
      const parsed = this.parse(protectedSecret);
      kid = parsed.header.kid;
      return { kid, result: await this.decryptParsed(caller, parsed) };
    } catch (error) {
      if (error instanceof DecryptRefused) return { kid, refused: error };
      throw error;
    }
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

  private async record(
    caller: UserPrincipal,
    correlationId: string,
    result: 'success' | 'failure',
    reason: DecryptFailureReason | null,
    kid: string | undefined,
    claims: readonly StagedWrite[],
  ): Promise<void> {
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
      await this.deps.audit.record(event, claims);
    } catch (error) {
      if (error instanceof StagedWriteConflict) throw error;
      throw unaudited(error);
    }
  }
}

function unaudited(error: unknown): ServiceError {
  if (error instanceof ServiceError && error.code === 'ServiceUnavailable' && error.message.startsWith('The attempt could not be audited')) return error;
  return new ServiceError('ServiceUnavailable', 'The attempt could not be audited, so nothing was decrypted. Retry later.', {
    retryAfterSeconds: 5,
    cause: error,
  });
}
