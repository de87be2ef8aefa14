import { onboardingStatusSchema } from '../shared/contract/onboarding.js';
import { type AuditInitiator, userInitiator } from '../shared/domain/audit.js';
import { defineOperation, userOf, type AnyOperation, type OperationContext } from '../shared/http/pipeline.js';
import { html, json, noContent, redirect } from '../shared/http/responses.js';
import type { RouteDefinition } from '../shared/http/route-table.js';
import type { OnboardingOutcome } from '../shared/services/onboarding.js';
import { problemPage, startFormPage, successPage } from '../shared/http/onboarding-pages.js';
import { STATE_LIFETIME_MS } from '../shared/domain/onboarding.js';

/** The onboarding cookie: a random browser key; the state rows keep only its hash. */
const BROWSER_COOKIE = 'pinreset-onboarding';

function browserKeyOf(context: OperationContext<unknown>): string | undefined {
  for (const part of (context.request.headers.get('cookie') ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === BROWSER_COOKIE) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax (the authority's redirect back is a top-level GET), Secure outside loopback. */
function browserCookie(context: OperationContext<unknown>, browserKey: string): string {
  const { hostname } = new URL(context.config.publicBaseUrl);
  const loopback = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  return `${BROWSER_COOKIE}=${browserKey}; Path=/onboarding; Max-Age=${STATE_LIFETIME_MS / 1000}; HttpOnly; SameSite=Lax${loopback ? '' : '; Secure'}`;
}

function render(context: OperationContext<unknown>, outcome: OnboardingOutcome) {
  switch (outcome.kind) {
    case 'redirect': {
      const reply = redirect(outcome.location);
      if (outcome.browserKey) reply.headers = { ...(reply.headers as Record<string, string>), 'Set-Cookie': browserCookie(context, outcome.browserKey) };
      return reply;
    }
    case 'startForm':
      return html(200, startFormPage());
    case 'problem':
      return html(outcome.status, problemPage(outcome, context.config.publicBaseUrl));
    case 'success':
      return html(200, successPage(outcome, context.config.publicBaseUrl));
  }
}

export function actorOf(context: OperationContext<unknown>): AuditInitiator {
  return userInitiator(userOf(context));
}

/** What the browser-facing onboarding routes answer: a redirect on, or an HTML page. */
const ONBOARDING_PAGES = {
  302: {
    description:
      "On to the authority: the administrator's sign-in (start, with the onboarding cookie), then admin consent for the service app, then for the client app.",
    headers: ['Location', 'Set-Cookie'],
  },
  200: { description: 'HTML page: the form asking for the tenant, or onboarding succeeded with both service principal ids.', html: true },
  400: { description: 'HTML page naming the problem: not a tenant, sign-in or consent not completed, unknown/used/expired state.', html: true },
  403: {
    description: 'HTML page: the signed-in user holds no administrator role (names the roles needed), or the state belongs to another browser.',
    html: true,
  },
  409: { description: 'HTML page: a service principal is missing.', html: true },
  503: { description: 'HTML page: Microsoft Entra ID or Graph unavailable; try again.', html: true },
} as const;

/** A browser-facing onboarding step: anonymous, its query parameters, a redirect on or an HTML page. */
function onboardingPage(
  operationId: string,
  summary: string,
  queryParameters: AnyOperation['queryParameters'],
  step: (context: OperationContext<undefined>) => Promise<OnboardingOutcome>,
) {
  return defineOperation({
    operationId,
    summary,
    tags: ['onboarding'],
    auth: 'anonymous',
    ...(queryParameters ? { queryParameters } : {}),
    responses: ONBOARDING_PAGES,
    async handle(context) {
      return render(context, await step(context));
    },
  });
}

export const startOnboarding = onboardingPage(
  'onboarding_start',
  'Starts onboarding: the administrator signs in first (authorization code + PKCE + nonce as the service app; an HttpOnly cookie binds the state to the browser), an HTML form when no tenant is given.',
  [{ name: 'tenant', description: 'Tenant id (GUID) or a verified domain of the tenant.' }],
  (context) => context.services.onboarding.start(context.request.query.get('tenant'), browserKeyOf(context), context.ids.requestId),
);

/** What the authority adds to a redirect back when sign-in or consent failed. */
const AUTHORITY_ERROR_PARAMETERS = [
  { name: 'error', description: "The authority's error code, e.g. access_denied." },
  { name: 'error_description', description: "The authority's error description." },
] as const;

export const onboardingSignIn = onboardingPage(
  'onboarding_signin',
  "The authority's redirect after the administrator signed in: redeems the code as a confidential client, checks the id token and an admin role, then on to the service app's admin consent.",
  [
    { name: 'state', description: "The single-use state issued by /onboarding/start (bound to this browser's onboarding cookie).", required: true },
    { name: 'code', description: 'The authorization code.' },
    ...AUTHORITY_ERROR_PARAMETERS,
  ],
  (context) => context.services.onboarding.signIn(context.request.query, browserKeyOf(context), context.ids.requestId),
);

export const onboardingCallback = onboardingPage(
  'onboarding_callback',
  "Entra ID's redirect after admin consent: on to the client app's consent, or verify through Graph and answer an HTML result page.",
  [
    {
      name: 'state',
      description: "The single-use state issued after the administrator signed in (bound to this browser's onboarding cookie).",
      required: true,
    },
    { name: 'admin_consent', description: 'True when consent was granted.' },
    { name: 'tenant', description: 'The tenant Entra says consent was granted in (compared, never trusted alone).' },
    ...AUTHORITY_ERROR_PARAMETERS,
  ],
  (context) => context.services.onboarding.callback(context.request.query, browserKeyOf(context), context.ids.requestId),
);

export const getOnboardingStatus = defineOperation({
  operationId: 'pinResetOnboarding_get',
  summary: "The tenant's onboarding state, both applications and the last failure.",
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
  responses: {
    200: { description: 'The onboarding status after the check.', schema: onboardingStatusSchema },
    409: { description: 'The tenant is not onboarded.' },
    503: { description: 'Graph unavailable.' },
  },
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
      description:
        'Offboarded. The enterprise applications stay in the tenant, and while they do, anyone can re-activate it through ' +
        "/onboarding/start and forged consent callbacks (audited as onboardingCompleted, 'Re-activated a tenant that was offboarded …'). " +
        "To offboard for good, the tenant's administrator deletes both enterprise applications (PIN reset service and PIN reset client); " +
        'every verification then fails with ServicePrincipalMissing.',
    },
  },
  async handle(context) {
    await context.services.onboarding.offboard(userOf(context).tenantId, actorOf(context), context.ids.requestId);
    return noContent();
  },
});

export const onboardingRoutes: RouteDefinition[] = [
  { name: 'onboardingStart', route: 'onboarding/start', methods: { GET: startOnboarding } },
  { name: 'onboardingSignIn', route: 'onboarding/signin', methods: { GET: onboardingSignIn } },
  { name: 'onboardingCallback', route: 'onboarding/callback', methods: { GET: onboardingCallback } },
  { name: 'pinResetOnboarding', route: 'v1.0/organization/{tid:guid}/pinResetOnboarding', methods: { GET: getOnboardingStatus, DELETE: offboardTenant } },
  { name: 'pinResetOnboardingVerify', route: 'v1.0/organization/{tid:guid}/pinResetOnboarding/verify', methods: { POST: verifyOnboarding } },
];
