import { z } from 'zod';
import { notFound } from '../shared/domain/errors.js';
import { devTokenRequestSchema, getSimulation } from '../shared/dev/simulation.js';
import { defineOperation, type OperationContext } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/** Development-mode routes answer 404 unless PINRESET_DEV_MODE is on, as if they did not exist. */
function requireDevMode(context: OperationContext<unknown>): void {
  if (!context.config.devMode) throw notFound();
}

export const issueDevToken = defineOperation({
  operationId: 'dev_token',
  summary: 'Development mode: a real RS256 access token for the service app from the simulated Entra ID.',
  tags: ['development'],
  auth: 'anonymous',
  body: { schema: devTokenRequestSchema },
  responses: { 200: { description: 'A token response.', schema: z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number() }) } },
  async handle(context) {
    requireDevMode(context);
    return json(200, await getSimulation().issueUserToken(context.body));
  },
});

export const getDevKeys = defineOperation({
  operationId: 'dev_keys',
  summary: 'Development mode: the JWKS (public keys) of the simulated token signer.',
  tags: ['development'],
  auth: 'anonymous',
  responses: { 200: { description: 'A JWKS.' } },
  async handle(context) {
    requireDevMode(context);
    return json(200, await getSimulation().signer.jwks(getSimulation().authorityHost), { 'Cache-Control': 'max-age=300' });
  },
});

export const devRoutes: RouteDefinition[] = [
  { name: 'devToken', route: 'dev/token', methods: { POST: issueDevToken } },
  { name: 'devKeys', route: 'dev/keys', methods: { GET: getDevKeys } },
];
