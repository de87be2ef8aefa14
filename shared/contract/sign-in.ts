import { z } from 'zod';

/**
 * `GET /signin-configuration`: how clients sign in to this service (the authority, the public client
 * app, the tenant segment and the service's delegated scope). The agent and the admin center read it
 * so that they need no settings to find the authority.
 */
export const signInConfigurationSchema = z
  .object({
    authority: z.string().describe('The Entra authority URL (no tenant, no trailing slash), e.g. https://login.microsoftonline.com.'),
    cloud: z.enum(['public', 'usGovernment', 'china']),
    clientId: z.string().describe('The PIN reset client app (public client) to sign in with.'),
    tenant: z.literal('organizations').describe('The authority tenant segment to sign in at (multi-tenant).'),
    scopes: z.array(z.string()).describe('The delegated scope(s) of the service app to request (add openid profile offline_access).'),
  })
  .meta({ id: 'signInConfiguration' });
export type SignInConfiguration = z.infer<typeof signInConfigurationSchema>;
