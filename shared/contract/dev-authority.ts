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
    error_uri: z.string().optional().describe("Microsoft's page that explains the AADSTS code."),
    suberror: z.string().optional(),
    claims: z.string().optional(),
  })
  .meta({ id: 'oauthError' });

/** A JSON document of the authority (discovery, token response, device code response). */
export const oauthDocumentSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'oauthDocument', description: "As Entra ID's v2.0 endpoint of the same name answers." });

/** A form field the authority reads; none is required by the description (missing ones get Entra's error). */
const field = (description: string) => z.string().optional().describe(description);

/** POST …/oauth2/v2.0/token (RFC 6749 §4.1.3, §6, RFC 8628 §3.4, §4.4; client_secret_basic in Authorization instead of the client fields). */
export const oauthTokenRequestSchema = z
  .looseObject({
    grant_type: field('authorization_code, refresh_token, urn:ietf:params:oauth:grant-type:device_code or client_credentials.'),
    client_id: field('The application (required unless client_secret_basic names it).'),
    client_secret: field('Confidential clients (the service app): client_secret_post.'),
    client_assertion_type: field('urn:ietf:params:oauth:client-assertion-type:jwt-bearer (private_key_jwt).'),
    client_assertion: field('The signed client assertion (private_key_jwt).'),
    code: field('authorization_code: the code from the redirect.'),
    redirect_uri: field('authorization_code: the redirect URI the code was issued to.'),
    code_verifier: field('authorization_code: the PKCE verifier (S256 required).'),
    refresh_token: field('refresh_token: the refresh token (rotates; a replayed one revokes the sign-in).'),
    device_code: field('device_code: the device_code from the device authorization endpoint.'),
    scope: field('Scopes; client_credentials: https://graph.microsoft.com/.default.'),
    claims: field('Claims request (JSON); asking for MFA on a refresh answers interaction_required.'),
  })
  .meta({ id: 'oauthTokenRequest' });

/** POST …/oauth2/v2.0/devicecode (RFC 8628 §3.1). */
export const oauthDeviceCodeRequestSchema = z
  .looseObject({
    client_id: field('The public client application.'),
    scope: field('Scopes, e.g. openid offline_access api://…/user_impersonation.'),
    claims: field('Claims request (JSON); asking amr mfa (or acrs) makes the sign-in run the MFA step.'),
  })
  .meta({ id: 'oauthDeviceCodeRequest' });

/**
 * The authority's own HTML forms (sign-in, MFA, consent, device code entry): posted by its pages,
 * with the fields those pages carry. `directoryRoles` and `appRoles` may repeat (checkboxes).
 */
export const devLoginFormSchema = z
  .looseObject({
    step: field('Which page posted: code, signin, mfa, consent.'),
    interaction: field('The sign-in interaction the page belongs to.'),
    otc: field('The device code page: the user code.'),
    user: field('The sign-in page: an existing user of the directory, or new.'),
    userPrincipalName: field('The sign-in page: the user to sign in as (created when new).'),
    displayName: field("The sign-in page: a new user's display name."),
    tenantId: field("The sign-in page at organizations/common: the user's tenant."),
    mfa: field('The MFA page: approve or deny.'),
    decision: field('Consent, sign-in: accept or cancel.'),
    action: field("The page's button."),
  })
  .meta({ id: 'devLoginForm', description: 'Repeated checkbox fields directoryRoles and appRoles carry role template ids and app roles.' });
