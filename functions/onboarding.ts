import { onboardingStatusSchema } from '../shared/contract/onboarding.js';
import { type AuditInitiator, userInitiator } from '../shared/domain/audit.js';
import { defineOperation, userOf, type OperationContext } from '../shared/http/pipeline.js';
import { html, json, noContent, redirect } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import type { OnboardingOutcome } from '../shared/services/onboarding.js';
import { problemPage, startFormPage, successPage } from '../shared/http/onboarding-pages.js';

function render(context: OperationContext<unknown>, outcome: OnboardingOutcome) {
  switch (outcome.kind) {
    case 'redirect': return redirect(outcome.location);
    case 'startForm': return html(200, startFormPage());
    case 'problem': return html(outcome.status, problemPage(outcome, context.config.publicBaseUrl));
    case 'success': return html(200, successPage(outcome));
  }
}

export function actorOf(context: OperationContext<unknown>): AuditInitiator {
  return userInitiator(userOf(context));
}

/** What the browser-facing onboarding routes answer: a redirect on, or an HTML page. */
const ONBOARDING_PAGES = {
  302: { description: 'On to the authority\'s admin consent page (for the service app, then for the client app).', headers: ['Location'] },
  200: { description: 'HTML page: the form asking for the tenant, or onboarding succeeded with both service principal ids.', html: true },
  400: { description: 'HTML page naming the problem: not a tenant, consent denied, unknown/used/expired state.', html: true },
  409: { description: 'HTML page: a service principal is missing.', html: true },
  503: { description: 'HTML page: Microsoft Entra ID or Graph unavailable; try again.', html: true },
} as const;

export const startOnboarding = defineOperation({
  operationId: 'onboarding_start',
  summary: 'Starts onboarding: redirects the administrator to admin consent for the PIN reset service app (an HTML form when no tenant is given).',
  tags: ['onboarding'],
  auth: 'anonymous',
  queryParameters: [{ name: 'tenant', description: 'Tenant id (GUID) or a verified domain of the tenant.' }],
  responses: ONBOARDING_PAGES,
  async handle(context) {
    return render(context, await context.services.onboarding.start(context.request.query.get('tenant'), context.ids.requestId));
  },
});

export const onboardingCallback = defineOperation({
  operationId: 'onboarding_callback',
  summary: 'Entra ID\'s redirect after admin consent: on to the client app\'s consent, or verify through Graph and answer an HTML result page.',
  tags: ['onboarding'],
  auth: 'anonymous',
  queryParameters: [
    { name: 'state', description: 'The single-use state issued by /onboarding/start.', required: true },
    { name: 'admin_consent', description: 'True when consent was granted.' },
    { name: 'tenant', description: 'The tenant Entra says consent was granted in (compared, never trusted alone).' },
    { name: 'error', description: 'Entra\'s error code, e.g. access_denied.' },
    { name: 'error_description', description: 'Entra\'s error description.' },
  ],
  responses: ONBOARDING_PAGES,
  async handle(context) {
    return render(context, await context.services.onboarding.callback(context.request.query, context.ids.requestId));
  },
});

export const getOnboardingStatus = defineOperation({
  operationId: 'pinResetOnboarding_get',
  summary: 'The tenant\'s onboarding state, both applications and the last failure.',
  tags: ['onboarding'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: { 200: { description: 'The onboarding status.', schema: onboardingStatusSchema } },
  async handle(context) {
    return json(200, await context.services.onboarding.status(userOf(context).tenantId));
  },
});

export const verifyOnboarding = defineOperation({
  operationId: 'pinResetOnboarding_verify',
  summary: 'Re-checks both service principals through Microsoft Graph now; a removed application moves the tenant to failed.',
  tags: ['onboarding'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: { 200: { description: 'The onboarding status after the check.', schema: onboardingStatusSchema }, 409: { description: 'The tenant is not onboarded.' }, 503: { description: 'Graph unavailable.' } },
  async handle(context) {
    return json(200, await context.services.onboarding.verify(userOf(context).tenantId, actorOf(context), context.ids.requestId));
  },
});

export const offboardTenant = defineOperation({
  operationId: 'pinResetOnboarding_delete',
  summary: 'Offboards the tenant: it is no longer served, its keys are destroyed and pending device actions canceled; the audit trail is kept.',
  tags: ['onboarding'],
  auth: 'admin',
  tenantParam: 'tid',
  responses: {
    204: {
      description: 'Offboarded. The enterprise applications stay in the tenant, and while they do, anyone can re-activate it through '
        + "/onboarding/start and forged consent callbacks (audited as onboardingCompleted, 'Re-activated a tenant that was offboarded …'). "
        + 'To offboard for good, the tenant\'s administrator deletes both enterprise applications (PIN reset service and PIN reset client); '
        + 'every verification then fails with ServicePrincipalMissing.',
    },
  },
  async handle(context) {
    await context.services.onboarding.offboard(userOf(context).tenantId, actorOf(context), context.ids.requestId);
    return noContent();
  },
});

export const onboardingRoutes: RouteDefinition[] = [
  { name: 'onboardingStart', route: 'onboarding/start', methods: { GET: startOnboarding } },
  { name: 'onboardingCallback', route: 'onboarding/callback', methods: { GET: onboardingCallback } },
  { name: 'pinResetOnboarding', route: 'v1.0/organization/{tid:guid}/pinResetOnboarding', methods: { GET: getOnboardingStatus, DELETE: offboardTenant } },
  { name: 'pinResetOnboardingVerify', route: 'v1.0/organization/{tid:guid}/pinResetOnboarding/verify', methods: { POST: verifyOnboarding } },
];
