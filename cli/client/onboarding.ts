import { ROLE_TEMPLATE_IDS } from '../../shared/config.js';
import { decodeEntities, DevBrowser, htmlToText, parseForms, type DevLoginUser } from '../../shared/dev/login-browser.js';
import { ServiceUnreachableError } from './errors.js';

export { decodeEntities, htmlToText };

/**
 * Development-mode onboarding, driven over HTTP the way a browser would (shared/dev/login-browser.ts
 * keeps the onboarding cookie and fills the pages): /onboarding/start → the development authority's
 * sign-in page (an administrator of the tenant) → /onboarding/signin → the service app's consent
 * page → Accept (or Cancel) → the callback → the client app's consent page → Accept → the callback's
 * result page. Against a real deployment it stops at Microsoft's first page (a real sign-in needs a
 * real browser).
 */

export type ConsentDecision = 'accept' | 'cancel';

export interface OnboardingStep {
  method: 'GET' | 'POST';
  /** Path and query of the request, on the service or the (simulated) authority. */
  url: string;
  status: number;
  /** For a consent page: the app it asks about (its client_id). */
  consentFor?: string;
}

export interface OnboardingWalk {
  steps: OnboardingStep[];
  /** The last page: the service's success or failure page. */
  finalStatus: number;
  finalHtml: string;
  /** The last page as plain text (tags stripped, entities decoded), for display. */
  finalText: string;
  consentPages: number;
}

interface ConsentForm {
  action: string;
  fields: Record<string, string>;
}

/** The consent form of a page: a POST form with a `decision` control; hidden inputs are kept. */
export function findConsentForm(html: string, pageUrl: string): ConsentForm | undefined {
  const form = parseForms(html, pageUrl).find((candidate) => candidate.method === 'POST' && candidate.controls.some((control) => control.name === 'decision'));
  return form ? { action: form.action, fields: form.hidden } : undefined;
}

/** Who signs in on the development authority when none is given: a Global Administrator of the tenant. */
export const DEV_ONBOARDING_ADMIN: DevLoginUser = {
  userPrincipalName: 'onboarding-admin@pinreset.dev',
  displayName: 'Development Administrator',
  directoryRoles: [ROLE_TEMPLATE_IDS.globalAdministrator],
};

export interface WalkOptions {
  baseUrl: string;
  /** Tenant id or verified domain for /onboarding/start. */
  tenant: string;
  /** Decision on each consent page in order (default: accept all). */
  decisions?: readonly ConsentDecision[];
  /** Who signs in on the development authority (default DEV_ONBOARDING_ADMIN). */
  admin?: DevLoginUser;
  fetch?: typeof fetch;
}

/** Codes, states and nonces are secrets or bindings: the steps shown never carry their values. */
function redacted(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://x');
  for (const name of ['code', 'state', 'nonce', 'code_challenge']) if (url.searchParams.has(name)) url.searchParams.set(name, '***');
  return `${url.pathname}${url.search.replace(/%2A%2A%2A/g, '***')}`;
}

export async function walkOnboarding(options: WalkOptions): Promise<OnboardingWalk> {
  const fetchImpl = options.fetch ?? fetch;
  const browser = new DevBrowser({ fetch: fetchImpl });
  const startUrl = new URL(`/onboarding/start?tenant=${encodeURIComponent(options.tenant)}`, options.baseUrl).toString();
  let page: Awaited<ReturnType<typeof browser.run>>;
  try {
    page = await browser.run(startUrl, { user: options.admin ?? DEV_ONBOARDING_ADMIN, adminConsent: options.decisions ?? [] });
  } catch (error) {
    if (error instanceof TypeError) throw new ServiceUnreachableError(new URL(startUrl).origin, error);
    throw error;
  }
  const steps: OnboardingStep[] = browser.history.map((entry) => {
    const step: OnboardingStep = { method: entry.method === 'POST' ? 'POST' : 'GET', url: redacted(entry.url), status: entry.status };
    const consent =
      /\/v2\.0\/adminconsent\?/i.test(entry.url) && entry.method === 'GET' ? new URL(entry.url, options.baseUrl).searchParams.get('client_id') : null;
    if (consent) step.consentFor = consent;
    return step;
  });
  return {
    steps,
    finalStatus: page.status,
    finalHtml: page.html,
    finalText: htmlToText(page.html),
    consentPages: steps.filter((step) => step.method === 'POST' && /\/v2\.0\/adminconsent/i.test(step.url)).length,
  };
}
