import { z } from 'zod';

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    storage: z.enum(['ok', 'unreachable']),
    version: z.string(),
  })
  .meta({ id: 'health' });
export type Health = z.infer<typeof healthSchema>;

export const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number(),
  })
  .meta({ id: 'devTokenResponse' });
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** `GET /openapi.json`: an OpenAPI 3.1 document (described by the OpenAPI specification itself). */
export const openApiDocumentSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'openApiDocument' });
export type OpenApiDocument = z.infer<typeof openApiDocumentSchema>;

export const devJwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: 'devJwks', description: 'Public JWKs of the development token signer.' });
