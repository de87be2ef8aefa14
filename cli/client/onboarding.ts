import { ServiceUnreachableError } from './errors.js';

/**
 * Development-mode onboarding, driven over HTTP the way a browser would: /onboarding/start → the
 * simulated authority's consent page → Accept (or Cancel) → the service's callback → the client
 * app's consent page → Accept → the callback's result page. Also usable against a real deployment up
 * to the first Microsoft page (a real consent needs a real browser sign-in).
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

const MAX_HOPS = 20;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return ENTITIES[name] ?? String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Readable text of an HTML page: no script/style, block elements on their own lines. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, '')
    .replace(/<\/t[dh]>\s*(?=<t[dh]\b)/gi, ' | ')
    .replace(/<(br|\/p|\/h\d|\/li|\/tr|\/div|\/dt|\/dd|\/title)\b[^>]*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text).split('\n').map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
}

interface ConsentForm {
  action: string;
  fields: Record<string, string>;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value);
}

/** The consent form of a page: a POST form with a `decision` control; hidden inputs are kept. */
export function findConsentForm(html: string, pageUrl: string): ConsentForm | undefined {
  for (const form of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attributes = '', body = ''] = form;
    if (!/name\s*=\s*["']?decision/i.test(body)) continue;
    const fields: Record<string, string> = {};
    for (const input of body.matchAll(/<input\b[^>]*>/gi)) {
      const tag = input[0];
      const name = attribute(tag, 'name');
      if (name && name !== 'decision' && (attribute(tag, 'type') ?? 'text').toLowerCase() === 'hidden') fields[name] = attribute(tag, 'value') ?? '';
    }
    return { action: new URL(attribute(` ${attributes}`, 'action') || pageUrl, pageUrl).toString(), fields };
  }
  return undefined;
}

export interface WalkOptions {
  baseUrl: string;
  /** Tenant id or verified domain for /onboarding/start. */
  tenant: string;
  /** Decision on each consent page in order (default: accept all). */
  decisions?: readonly ConsentDecision[];
  fetch?: typeof fetch;
}

export async function walkOnboarding(options: WalkOptions): Promise<OnboardingWalk> {
  const fetchImpl = options.fetch ?? fetch;
  const steps: OnboardingStep[] = [];
  let consentPages = 0;
  let url = new URL(`/onboarding/start?tenant=${encodeURIComponent(options.tenant)}`, options.baseUrl).toString();
  let method: 'GET' | 'POST' = 'GET';
  let body: URLSearchParams | undefined;

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        redirect: 'manual',
        headers: { Accept: 'text/html', ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body ? { body: body.toString() } : {}),
      });
    } catch (error) {
      throw new ServiceUnreachableError(new URL(url).origin, error);
    }
    const parsed = new URL(url);
    const step: OnboardingStep = { method, url: `${parsed.pathname}${parsed.search}`, status: response.status };
    steps.push(step);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    const form = response.status === 200 ? findConsentForm(html, url) : undefined;
    if (form) {
      step.consentFor = parsed.searchParams.get('client_id') ?? undefined;
      const decision = options.decisions?.[consentPages] ?? 'accept';
      consentPages += 1;
      url = form.action;
      method = 'POST';
      body = new URLSearchParams({ ...form.fields, decision });
      continue;
    }
    return { steps, finalStatus: response.status, finalHtml: html, finalText: htmlToText(html), consentPages };
  }
  throw new Error(`Onboarding did not finish within ${MAX_HOPS} requests.`);
}
