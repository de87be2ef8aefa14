import { z } from 'zod';
import type { ServiceConfig } from '../shared/config.js';
import { isOwnFormSubmission } from '../shared/dev/form-origin.js';
import { getSimulation } from '../shared/dev/simulation.js';
import { ServiceError } from '../shared/domain/errors.js';
import { defineOperation, type OperationContext } from '../shared/http/pipeline.js';
import { escapeHtml, html, redirect } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import { page } from '../shared/http/onboarding-pages.js';

/**
 * Development mode's stand-in for Entra ID's admin consent page
 * (`/{tenant}/v2.0/adminconsent`): Accept or Cancel, then Entra's redirect back to `redirect_uri`.
 * Accepting creates the app's service principal in the simulated directory.
 */

function appNames(config: ServiceConfig): Record<string, string> {
  return {
    [config.serviceAppId]: 'PIN Reset Service (development)',
    [config.clientAppId]: 'PIN Reset Client (development)',
  };
}

interface ConsentRequest {
  tenantId: string;
  appId: string;
  appName: string;
  redirectUri: URL;
  state: string | null;
  scope: string;
}

type Parsed = { ok: true; request: ConsentRequest } | { ok: false; title: string; detail: string };

function parse(context: OperationContext<unknown>): Parsed {
  const { config } = context;
  const query = context.request.query;
  const tenantId = getSimulation().directory.resolve(context.params.tenant ?? '');
  if (!tenantId) return { ok: false, title: 'Tenant not found', detail: `AADSTS90002: Tenant '${context.params.tenant ?? ''}' not found.` };
  const appId = (query.get('client_id') ?? '').toLowerCase();
  const appName = appNames(config)[appId];
  if (!appName)
    return { ok: false, title: 'Application not found', detail: `AADSTS700016: Application with identifier '${appId}' was not found in the directory.` };
  let redirectUri: URL | undefined;
  try {
    redirectUri = new URL(query.get('redirect_uri') ?? '');
  } catch {
    redirectUri = undefined;
  }
  // Only back to this service: the simulated authority must not be an open redirector.
  const ownOrigin = new URL(config.publicBaseUrl).origin;
  if (!redirectUri || redirectUri.origin !== ownOrigin || redirectUri.username || redirectUri.password) {
    return {
      ok: false,
      title: 'Invalid redirect URI',
      detail: `AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application (it must be under ${ownOrigin}).`,
    };
  }
  return { ok: true, request: { tenantId, appId, appName, redirectUri, state: query.get('state'), scope: query.get('scope') ?? '' } };
}

function refusal(parsed: Extract<Parsed, { ok: false }>) {
  return html(400, page(parsed.title, `<h1>${escapeHtml(parsed.title)}</h1><p>${escapeHtml(parsed.detail)}</p>`));
}

export const showDevConsent = defineOperation({
  operationId: 'dev_adminConsent_show',
  summary: 'Development mode: the simulated Entra ID admin consent page (Accept / Cancel).',
  tags: ['development'],
  auth: 'anonymous',
  queryParameters: [
    { name: 'client_id', description: 'The application to consent to.', required: true },
    { name: 'redirect_uri', description: 'Where to send the browser afterwards (this service only).', required: true },
    { name: 'state', description: 'Returned unchanged.' },
    { name: 'scope', description: 'Returned unchanged.' },
  ],
  responses: { 200: { description: 'HTML consent form.', html: true }, 400: { description: 'HTML error page.', html: true } },
  async handle(context) {
    const parsed = parse(context);
    if (!parsed.ok) return refusal(parsed);
    const { request } = parsed;
    const tenant = getSimulation().directory.tenant(request.tenantId);
    const url = new URL(context.request.url);
    const action = `${url.pathname}${url.search}`;
    return html(
      200,
      page(
        'Permissions requested',
        `<h1>Permissions requested</h1>
<p><strong>${escapeHtml(request.appName)}</strong> (<code>${escapeHtml(request.appId)}</code>) asks for tenant-wide admin consent
in <strong>${escapeHtml(tenant.displayName)}</strong> (<code>${escapeHtml(tenant.id)}</code>).</p>
<p>Scope: <code>${escapeHtml(request.scope)}</code>. After your decision you will return to <code>${escapeHtml(request.redirectUri.origin)}</code>.</p>
<p>This is the development-mode simulation of Microsoft Entra ID; accepting creates the application's service principal in the simulated tenant.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="step" value="adminconsent">
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
      ),
    );
  },
});

export const decideDevConsent = defineOperation({
  operationId: 'dev_adminConsent_decide',
  summary: "Development mode: Accept or Cancel on the simulated admin consent page; 302 back to redirect_uri with Entra's parameters.",
  tags: ['development'],
  auth: 'anonymous',
  body: { schema: z.object({ decision: z.enum(['accept', 'cancel']) }), format: 'form' },
  responses: {
    302: { description: 'Back to redirect_uri with admin_consent=True or error=access_denied.', headers: ['Location'] },
    400: { description: 'HTML error page.', html: true },
    403: { description: 'The form was submitted from another site.' },
  },
  async handle(context) {
    // The form is ours: a submission from another site (a page auto-posting to localhost) is refused.
    if (!isOwnFormSubmission(context.request.headers, [new URL(context.config.publicBaseUrl).origin, new URL(context.request.url).origin])) {
      throw new ServiceError('Authorization_RequestDenied', "The consent form can only be submitted from this service's own consent page.");
    }
    const parsed = parse(context);
    if (!parsed.ok) return refusal(parsed);
    const { request } = parsed;
    const target = new URL(request.redirectUri);
    if (context.body.decision === 'accept') {
      getSimulation().directory.consent(request.tenantId, request.appId, request.appName);
      target.searchParams.set('admin_consent', 'True');
      target.searchParams.set('tenant', request.tenantId);
      if (request.state !== null) target.searchParams.set('state', request.state);
      target.searchParams.set('scope', request.scope);
    } else {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
      if (request.state !== null) target.searchParams.set('state', request.state);
    }
    return redirect(target.toString());
  },
});

export const devConsentRoutes: RouteDefinition[] = [
  { name: 'devAdminConsent', route: 'dev/login/{tenant}/v2.0/adminconsent', methods: { GET: showDevConsent, POST: decideDevConsent }, devOnly: true },
];
