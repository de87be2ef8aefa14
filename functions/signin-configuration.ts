import { signInConfigurationSchema, type SignInConfiguration } from '../shared/contract/sign-in.js';
import { defineOperation } from '../shared/http/pipeline.js';
import { json } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/** How clients sign in to this service (COORDINATION decision 4). */
export const getSignInConfiguration = defineOperation({
  operationId: 'signInConfiguration_get',
  summary: "How clients sign in: the authority, the client app id, the tenant segment and the service's delegated scope.",
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
