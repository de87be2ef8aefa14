import { z } from 'zod';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/** A protected secret is about 1 KB; the bound only keeps nonsense out of the parser. */
const MAX_PROTECTED_SECRET_CHARS = 8_192;

/**
 * The body must carry `protectedSecret` (a request without one is an ordinary 400 naming the field).
 * Its value is not validated here: a value that is not a usable string is a malformed protected secret
 * like any other, answered with the uniform 400 and audited by the decrypt service.
 */
const decryptBodySchema = z.object({
  protectedSecret: z.unknown()
    .refine((value) => value !== undefined, 'Required')
    .meta({ type: 'string', description: 'The protected secret: a compact JWE (RSA-OAEP-256 + A256GCM, header kid/tid/oid).' }),
}).meta({ id: 'pinResetProtectorDecryptRequest' });
const decryptResultSchema = z.object({ secret: z.string(), keyId: z.string(), reprotectRecommended: z.boolean() }).meta({ id: 'pinResetProtectorDecryptResult' });

/**
 * One operation for both routes. A body without `protectedSecret` is an ordinary 400 BadRequest;
 * everything about the protected secret itself (type, size, the JWE's content) is the one uniform
 * 400 InvalidProtectedSecret. 401 MfaRequired comes from the pipeline (auth 'mfaUser').
 */
export const decryptProtector = defineOperation({
  operationId: 'pinResetProtector_decrypt',
  summary: 'Decrypts a protector (compact JWE to the tenant key, bound to the caller) after recent MFA.',
  tags: ['protector keys'],
  auth: 'mfaUser',
  body: { schema: decryptBodySchema },
  responses: {
    200: { description: 'The protector (Cache-Control: no-store).', schema: decryptResultSchema },
    400: { description: 'InvalidProtectedSecret: the same answer for every failure to decrypt.' },
    401: { description: 'No token, or MfaRequired with an insufficient_claims challenge.' },
    429: { description: 'Rate limit per user or per tenant (Retry-After).' },
    503: { description: 'Storage, the KEK or the audit log is unavailable (fails closed).' },
  },
  async handle(context) {
    const { protectedSecret } = context.body;
    const usable = typeof protectedSecret === 'string' && protectedSecret.length <= MAX_PROTECTED_SECRET_CHARS ? protectedSecret : '';
    const result = await context.services.protectorDecrypt.decrypt(userOf(context), usable, context.ids.requestId);
    return json(200, result, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  },
});

export const protectorDecryptRoutes: RouteDefinition[] = [
  { name: 'pinResetProtectorDecrypt', route: 'v1.0/me/pinResetProtector/decrypt', methods: { POST: decryptProtector } },
  // Wire-compatible with the real PIN reset service.
  { name: 'unprotectSecret', route: 'unprotectsecret/v1', methods: { POST: decryptProtector } },
];
