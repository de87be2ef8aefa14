import { z } from 'zod';
import { defineOperation } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/**
 * How clients sign in to this service (COORDINATION decision 4): the agent and the admin center read
 * it so that they need no settings to find the authority, the client app and the scope.
 */
export const signInConfigurationSchema = z.object({
  authority: z.string().describe('The Entra authority URL (no tenant, no trailing slash), e.g. https://login.microsoftonline.com.'),
  cloud: z.enum(['public', 'usGovernment', 'china']),
  clientId: z.string().describe('The PIN reset client app (public client) to sign in with.'),
  tenant: z.literal('organizations').describe('The authority tenant segment to sign in at (multi-tenant).'),
  scopes: z.array(z.string()).describe('The delegated scope(s) of the service app to request (add openid profile offline_access).'),
}).meta({ id: 'signInConfiguration' });

export type SignInConfiguration = z.infer<typeof signInConfigurationSchema>;

export const getSignInConfiguration = defineOperation({
  operationId: 'signInConfiguration_get',
  summary: 'How clients sign in: the authority, the client app id, the tenant segment and the service\'s delegated scope.',
  tags: ['sign-in'],
  auth: 'anonymous',
  responses: { 200: { description: 'The sign-in configuration.', schema: signInConfigurationSchema } },
  async handle(context) {
    const { config } = context;
    const body: SignInConfiguration = {
      authority: config.authorityUrl,
      cloud: config.cloud,
      clientId: config.clientAppId,
      tenant: 'organizations',
      scopes: [`${config.serviceAppIdUri}/user_impersonation`],
    };
    return json(200, body, { 'Cache-Control': 'max-age=300' });
  },
});

export const signInConfigurationRoutes: RouteDefinition[] = [
  { name: 'signInConfiguration', route: 'signin-configuration', methods: { GET: getSignInConfiguration } },
];
