import { z } from 'zod';
import { PROTECTOR_KEY_STATES } from '../domain/protector-key.js';
import { collectionOf, entityOf } from './graph.js';

export { PROTECTOR_KEY_STATES };

export const protectorJwkSchema = z
  .object({
    kty: z.literal('RSA'),
    use: z.literal('enc'),
    alg: z.literal('RSA-OAEP-256'),
    kid: z.string().describe('RFC 7638 thumbprint.'),
    n: z.string(),
    e: z.string(),
  })
  .meta({ id: 'pinResetProtectorKey' });

export const protectorJwksSchema = z.object({ keys: z.array(protectorJwkSchema) }).meta({ id: 'pinResetProtectorKeys' });
export type ProtectorJwks = z.infer<typeof protectorJwksSchema>;

export const protectorKeyVersionSchema = z
  .object({
    kid: z.string(),
    state: z.enum(PROTECTOR_KEY_STATES),
    createdDateTime: z.string(),
  })
  .meta({ id: 'pinResetProtectorKeyVersion' });
export type ProtectorKeyVersion = z.infer<typeof protectorKeyVersionSchema>;

/** A version as the versions list answers it: with the number of enrolled devices whose protector was last seen under it. */
export const protectorKeyVersionWithDevicesSchema = protectorKeyVersionSchema
  .extend({
    deviceCount: z.number().int().min(0).describe('Enrolled devices whose protector was last seen under this kid (at enrolment, status or decrypt).'),
  })
  .meta({ id: 'pinResetProtectorKeyVersionWithDevices' });
export type ProtectorKeyVersionWithDevices = z.infer<typeof protectorKeyVersionWithDevicesSchema>;

export const protectorKeyVersionCollectionSchema = collectionOf(protectorKeyVersionWithDevicesSchema, 'pinResetProtectorKeyVersionCollection');
export const protectorKeyVersionEntitySchema = entityOf(protectorKeyVersionSchema, 'pinResetProtectorKeyVersionEntity');

/** A protected secret is about 1 KB; the bound only keeps nonsense out of the parser. */
export const MAX_PROTECTED_SECRET_CHARS = 8_192;

/**
 * The body must carry `protectedSecret` (a request without one is an ordinary 400 naming the field).
 * Its value is not validated here: a value that is not a usable string is a malformed protected secret
 * like any other, answered with the uniform 400 and audited by the decrypt service.
 */
export const decryptRequestSchema = z
  .object({
    protectedSecret: z
      .unknown()
      .refine((value) => value !== undefined, 'Required')
      .meta({ type: 'string', description: 'The protected secret: a compact JWE (RSA-OAEP-256 + A256GCM, header kid/tid/oid).' }),
  })
  .meta({ id: 'pinResetProtectorDecryptRequest' });

export const decryptResultSchema = z
  .object({
    secret: z.string().describe('Base64 of the 32-byte protector.'),
    keyId: z.string(),
    reprotectRecommended: z.boolean(),
  })
  .meta({ id: 'pinResetProtectorDecryptResult' });
export type DecryptResult = z.infer<typeof decryptResultSchema>;
