import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import {
  devLoginFormSchema,
  oauthDeviceCodeRequestSchema,
  oauthDocumentSchema,
  oauthErrorSchema,
  oauthTokenRequestSchema,
} from '../shared/contract/dev-authority.js';
import { devJwksSchema } from '../shared/contract/health.js';
import { getSimulation } from '../shared/dev/simulation.js';
import { ServiceError } from '../shared/domain/errors.js';
import { defineOperation, type AnyOperation, type ResponseSpecs } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

/**
 * Development mode: the development authority (shared/dev/authority.ts), a stand-in for the
 * Microsoft identity platform v2.0 endpoints, served under /dev/login. The very same object answers
 * the service's own server-side calls in-process (MSW handlers), so browsers, the agent and the
 * service share one state.
 */

const PREFIX = /^\/dev\/login(?=\/)/i;

async function toFetchRequest(request: HttpRequest): Promise<Request> {
  const method = request.method.toUpperCase();
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.text();
  return new Request(request.url, { method, headers: Object.fromEntries(request.headers.entries()), body });
}

async function toResponseInit(response: Response): Promise<HttpResponseInit> {
  const body = await response.text();
  return { status: response.status, headers: Object.fromEntries(response.headers.entries()), ...(body === '' ? {} : { body }) };
}

function authorityOperation(
  operationId: string,
  summary: string,
  responses: ResponseSpecs,
  request: { queryParameters?: AnyOperation['queryParameters']; form?: AnyOperation['documentedBody'] } = {},
): AnyOperation {
  return defineOperation({
    operationId,
    summary,
    tags: ['development'],
    auth: 'anonymous',
    ...(request.queryParameters ? { queryParameters: request.queryParameters } : {}),
    // The authority reads its forms itself and answers a bad one as Entra does: OpenAPI describes them.
    ...(request.form ? { documentedBody: request.form } : {}),
    responses,
    async handle(context) {
      const path = new URL(context.request.url).pathname.replace(PREFIX, '');
      const response = await getSimulation().authority.handle(await toFetchRequest(context.request), path);
      if (!response) throw new ServiceError('Request_ResourceNotFound', 'The requested resource was not found.');
      // The authority's own answers (OAuth JSON, its pages, redirects) pass through verbatim: their
      // shapes are the simulated Entra's, not this service's contract.
      return (await toResponseInit(response)) as never;
    },
  });
}

const json = {
  200: { description: 'JSON document.', schema: oauthDocumentSchema },
  400: {
    description: 'OAuth error (error, error_description with the AADSTS number, error_codes, timestamp, trace_id, correlation_id).',
    schema: oauthErrorSchema,
  },
};
const htmlPage = {
  200: { description: 'HTML page (a form).', html: true },
  302: { description: 'Back to the redirect URI with code and state, or an OAuth error.', headers: ['Location'] },
  400: { description: 'HTML error page.', html: true },
  403: { description: 'A form submitted from another site.', html: true },
} as const;

export const devLoginDiscovery = authorityOperation(
  'devLogin_openidConfiguration',
  'Development authority: OpenID Connect discovery document of a tenant (or organizations/common).',
  json,
);
export const devLoginKeys = authorityOperation('devLogin_keys', 'Development authority: its signing keys (JWKS).', {
  200: { description: 'A JWKS.', schema: devJwksSchema },
});
export const devLoginAuthorize = authorityOperation(
  'devLogin_authorize',
  'Development authority: authorization endpoint (sign-in page, MFA step, consent; PKCE S256 required).',
  htmlPage,
  {
    queryParameters: [
      { name: 'client_id', description: 'The application signing the user in.', required: true },
      { name: 'response_type', description: 'code', required: true },
      { name: 'redirect_uri', description: 'A redirect URI registered for the application (or loopback for the client app).', required: true },
      { name: 'scope', description: 'Scopes, e.g. openid profile offline_access api://…/user_impersonation.', required: true },
      { name: 'code_challenge', description: 'PKCE S256 challenge.', required: true },
      { name: 'code_challenge_method', description: 'S256', required: true },
      { name: 'state', description: 'Returned unchanged.' },
      { name: 'nonce', description: 'Copied into the id token.' },
      { name: 'claims', description: 'Claims request; asking amr mfa (or acrs) forces the MFA step.' },
      { name: 'prompt', description: 'consent forces the consent page; none answers login_required.' },
    ],
  },
);
export const devLoginAuthorizeForm = authorityOperation(
  'devLogin_authorize_submit',
  'Development authority: the sign-in, MFA and consent forms of an authorization request.',
  htmlPage,
  { form: { schema: devLoginFormSchema, format: 'form' } },
);
export const devLoginToken = authorityOperation(
  'devLogin_token',
  'Development authority: token endpoint (authorization_code with PKCE, refresh_token with rotation, device_code, client_credentials).',
  {
    ...json,
    401: { description: 'invalid_client.', schema: oauthErrorSchema },
  },
  { form: { schema: oauthTokenRequestSchema, format: 'form' } },
);
export const devLoginDeviceCode = authorityOperation(
  'devLogin_deviceCode',
  'Development authority: device authorization endpoint (user_code, device_code, verification_uri, expires_in, interval, message).',
  json,
  { form: { schema: oauthDeviceCodeRequestSchema, format: 'form' } },
);
export const devLoginDeviceLogin = authorityOperation(
  'devLogin_deviceLogin',
  'Development authority: the device code verification page (enter the code, then sign in).',
  htmlPage,
);
export const devLoginDeviceLoginForm = authorityOperation(
  'devLogin_deviceLogin_submit',
  'Development authority: the code entry, sign-in, MFA and consent forms of a device code sign-in.',
  htmlPage,
  { form: { schema: devLoginFormSchema, format: 'form' } },
);

export const devLoginRoutes: RouteDefinition[] = [
  { name: 'devLoginDiscovery', route: 'dev/login/{tenant}/v2.0/.well-known/openid-configuration', methods: { GET: devLoginDiscovery }, devOnly: true },
  { name: 'devLoginKeys', route: 'dev/login/{tenant}/discovery/v2.0/keys', methods: { GET: devLoginKeys }, devOnly: true },
  {
    name: 'devLoginAuthorize',
    route: 'dev/login/{tenant}/oauth2/v2.0/authorize',
    methods: { GET: devLoginAuthorize, POST: devLoginAuthorizeForm },
    devOnly: true,
  },
  { name: 'devLoginToken', route: 'dev/login/{tenant}/oauth2/v2.0/token', methods: { POST: devLoginToken }, devOnly: true },
  { name: 'devLoginDeviceCode', route: 'dev/login/{tenant}/oauth2/v2.0/devicecode', methods: { POST: devLoginDeviceCode }, devOnly: true },
  { name: 'devLoginDeviceLogin', route: 'dev/login/devicelogin', methods: { GET: devLoginDeviceLogin, POST: devLoginDeviceLoginForm }, devOnly: true },
];
