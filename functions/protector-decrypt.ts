import { decryptRequestSchema, decryptResultSchema, MAX_PROTECTED_SECRET_CHARS } from '../shared/contract/protector-keys.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import { statusOf } from '../shared/http/error-catalogue.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/**
 * One operation for both routes. A body without `protectedSecret` is an ordinary 400 BadRequest;
 * everything about the protected secret itself (type, size, the JWE's content) is the one uniform
 * 400 InvalidProtectedSecret. 401 MfaRequired comes from the pipeline (auth 'mfaUser').
 */
function decryptOperation(operationId: string, summary: string) {
  return defineOperation({
    operationId,
    summary,
    tags: ['protector keys'],
    auth: 'mfaUser',
    body: { schema: decryptRequestSchema },
    responses: {
      200: { description: 'The protector (Cache-Control: no-store).', schema: decryptResultSchema },
      400: { description: 'InvalidProtectedSecret: the same answer for every failure to decrypt.' },
      401: { description: 'No token, or MfaRequired with an insufficient_claims challenge.' },
      429: { description: 'Rate limit per user or per tenant (Retry-After).' },
      503: { description: 'Storage, the KEK or the audit log is unavailable (fails closed).' },
    },
    async onRefused({ user, error, services, ids }) {
      // Every attempt is audited: a refusal for missing MFA or a body that is not {protectedSecret} too.
      // Not a body over the limit: with a Content-Length that is refused before the token is read.
      if (error.code === 'MfaRequired') await services.protectorDecrypt.recordRefused(user, ids.requestId, 'mfaRequired');
      else if (error.code !== 'RequestEntityTooLarge' && statusOf(error.code) < 500) {
        await services.protectorDecrypt.recordRefused(user, ids.requestId, 'invalidRequest');
      }
    },
    async handle(context) {
      const { protectedSecret } = context.body;
      const usable = typeof protectedSecret === 'string' && protectedSecret.length <= MAX_PROTECTED_SECRET_CHARS ? protectedSecret : '';
      const result = await context.services.protectorDecrypt.decrypt(userOf(context), usable, context.ids.requestId);
      return json(200, result, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    },
  });
}

export const decryptProtector = decryptOperation(
  'pinResetProtector_decrypt',
  'Decrypts a protector (compact JWE to the tenant key, bound to the caller) after recent MFA.',
);

/** The same operation at the real PIN reset service's path (its own operationId for OpenAPI). */
export const unprotectSecret = decryptOperation(
  'unprotectSecret_v1',
  'Wire-compatible alias of /v1.0/me/pinResetProtector/decrypt, at the path the real PIN reset service uses.',
);

export const protectorDecryptRoutes: RouteDefinition[] = [
  { name: 'pinResetProtectorDecrypt', route: 'v1.0/me/pinResetProtector/decrypt', methods: { POST: decryptProtector } },
  // Wire-compatible with the real PIN reset service.
  { name: 'unprotectSecret', route: 'unprotectsecret/v1', methods: { POST: unprotectSecret } },
];
