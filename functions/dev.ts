import { devJwksSchema, tokenResponseSchema } from '../shared/contract/health.js';
import { devTokenRequestSchema, getSimulation } from '../shared/dev/simulation.js';
import { defineOperation } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

export const issueDevToken = defineOperation({
  operationId: 'dev_token',
  summary: 'Development mode: a real RS256 access token for the service app from the simulated Entra ID.',
  tags: ['development'],
  auth: 'anonymous',
  body: { schema: devTokenRequestSchema },
  responses: { 200: { description: 'A token response.', schema: tokenResponseSchema } },
  async handle(context) {
    return json(200, await getSimulation().issueUserToken(context.body));
  },
});

export const getDevKeys = defineOperation({
  operationId: 'dev_keys',
  summary: 'Development mode: the JWKS (public keys) of the simulated token signer.',
  tags: ['development'],
  auth: 'anonymous',
  responses: { 200: { description: 'A JWKS.', schema: devJwksSchema } },
  async handle(_context) {
    return json(200, await getSimulation().signer.jwks(getSimulation().authorityUrl), { 'Cache-Control': 'max-age=300' });
  },
});

export const devRoutes: RouteDefinition[] = [
  { name: 'devToken', route: 'dev/token', methods: { POST: issueDevToken }, devOnly: true },
  { name: 'devKeys', route: 'dev/keys', methods: { GET: getDevKeys }, devOnly: true },
];
