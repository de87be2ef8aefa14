import { z } from 'zod';

/** Development authority (development mode only): the shapes of Entra ID's v2.0 endpoints it mimics. */

/** An OAuth 2.0 error as Entra's v2.0 endpoints answer it. */
export const oauthErrorSchema = z
  .looseObject({
    error: z.string(),
    error_description: z.string().describe('Starts with the AADSTS number.'),
    error_codes: z.array(z.number()),
    timestamp: z.string(),
    trace_id: z.string(),
    correlation_id: z.string(),
    suberror: z.string().optional(),
    claims: z.string().optional(),
  })
  .meta({ id: 'oauthError' });

/** A JSON document of the authority (discovery, token response, device code response). */
export const oauthDocumentSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'oauthDocument', description: "As Entra ID's v2.0 endpoint of the same name answers." });
