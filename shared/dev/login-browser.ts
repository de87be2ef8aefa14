/**
 * A browser-like driver for the development authority's HTML pages (and the development admin
 * consent page): follows redirects, keeps cookies per host, reads the page's form and submits it as
 * a person would, over plain HTTP. The demo, the CLI's development onboarding and the tests sign in
 * with it; nothing here is used by the service itself.
 *
 * The pages say which step they are with a hidden `step` field: `code` (device code entry),
 * `signin` (pick or create a user), `mfa`, `consent` (user consent) and `adminconsent`.
 */

/** The user to sign in as: found by UPN in the simulated directory, created (or updated) otherwise. */
export interface DevLoginUser {
  userPrincipalName: string;
  displayName?: string;
  /** The user's tenant: required when signing in at organizations/common. */
  tenantId?: string;
  /** Directory role template ids (`wids`). */
  directoryRoles?: readonly string[];
  /** App roles of the service app, e.g. PinReset.Administrator. */
  appRoles?: readonly string[];
}

export interface SignInChoices {
  user: DevLoginUser;
  /**
   * MFA: `true` completes it even when not required; `false` denies it when the page asks;
   * undefined approves it when asked.
   */
  mfa?: boolean;
  /** Cancel on the sign-in page (the user declines). */
  cancel?: boolean;
  /** On a user consent page (default accept). */
  consent?: 'accept' | 'cancel';
  /** On each admin consent page in turn (default accept). */
  adminConsent?: readonly ('accept' | 'cancel')[];
}

export interface FormControl {
  name: string;
  type: string;
  value: string;
}

export interface PageForm {
  action: string;
  method: 'GET' | 'POST';
  /** Hidden inputs (always submitted). */
  hidden: Record<string, string>;
  /** Every named input, select or button. */
  controls: FormControl[];
}

export interface Page {
  url: string;
  status: number;
  html: string;
}

const MAX_HOPS = 30;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return ENTITIES[name] ?? String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value);
}

/** The forms of a page, with actions resolved against the page URL. */
export function parseForms(html: string, pageUrl: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attributes = '', body = ''] = match;
    const hidden: Record<string, string> = {};
    const controls: FormControl[] = [];
    for (const control of body.matchAll(/<(input|button|select|textarea)\b[^>]*>/gi)) {
      const tag = control[0];
      const name = attribute(tag, 'name');
      if (!name) continue;
      const type = (attribute(tag, 'type') ?? (control[1]?.toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      const value = attribute(tag, 'value') ?? '';
      controls.push({ name, type, value });
      if (type === 'hidden') hidden[name] = value;
    }
    forms.push({
      action: new URL(attribute(` ${attributes}`, 'action') || pageUrl, pageUrl).toString(),
      method: (attribute(` ${attributes}`, 'method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      hidden,
      controls,
    });
  }
  return forms;
}

/** Readable text of an HTML page: no script/style, block elements on their own lines. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, '')
    .replace(/<\/t[dh]>\s*(?=<t[dh]\b)/gi, ' | ')
    .replace(/<(br|\/p|\/h\d|\/li|\/tr|\/div|\/dt|\/dd|\/title)\b[^>]*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Follows redirects and keeps cookies, as a browser does; never runs scripts (the pages have none). */
export class DevBrowser {
  /** host → cookie name → value. */
  private readonly jar = new Map<string, Map<string, string>>();
  private readonly fetchImpl: typeof fetch;
  /** Every request made, in order (method and path with query): what the CLI shows with --json. */
  readonly history: { method: string; url: string; status: number }[] = [];

  constructor(options: { fetch?: typeof fetch } = {}) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name);
  }

  /** One request, without following redirects; cookies sent and stored. */
  async request(url: string, init: { method?: 'GET' | 'POST'; form?: URLSearchParams } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { Accept: 'text/html' };
    const cookies = this.jar.get(target.host);
    if (cookies && cookies.size > 0) headers.Cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (init.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    const response = await this.fetchImpl(target.toString(), { method, headers, redirect: 'manual', ...(init.form ? { body: init.form.toString() } : {}) });
    this.history.push({ method, url: `${target.pathname}${target.search}`, status: response.status });
    this.store(target, response.headers.getSetCookie());
    return response;
  }

  private store(target: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const secure = attributes.some((part) => part.trim().toLowerCase() === 'secure');
      if (secure && target.protocol !== 'https:' && !LOOPBACK.has(target.hostname)) continue;
      const maxAge = attributes.map((part) => /^\s*max-age\s*=\s*(-?\d+)/i.exec(part)?.[1]).find((found) => found !== undefined);
      const cookies = this.jar.get(target.host) ?? new Map<string, string>();
      if (maxAge !== undefined && Number(maxAge) <= 0) cookies.delete(name);
      else cookies.set(name, value);
      this.jar.set(target.host, cookies);
    }
  }

  /**
   * GET `url` and follow redirects until a page that is not a redirect, or until `stopAt` says a
   * redirect target is where to stop (that URL is then answered unvisited, with status 302).
   */
  async open(url: string, stopAt?: (url: URL) => boolean, init: { form?: URLSearchParams } = {}): Promise<Page> {
    let current = url;
    let form = init.form;
    for (let hop = 0; hop < MAX_HOPS; hop += 1) {
      const response = await this.request(current, form ? { form } : {});
      form = undefined;
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (stopAt?.(next)) return { url: next.toString(), status: 302, html: '' };
        current = next.toString();
        continue;
      }
      return { url: current, status: response.status, html: await response.text() };
    }
    throw new Error(`More than ${MAX_HOPS} redirects from ${url}.`);
  }

  /**
   * Opens `url` and completes every development sign-in, MFA and consent page on the way, as
   * `choices` says. Answers the first page that is not one of those (or where `stopAt` stopped).
   */
  async run(url: string, choices: SignInChoices & { userCode?: string }, stopAt?: (url: URL) => boolean): Promise<Page> {
    let page = await this.open(url, stopAt);
    let adminConsents = 0;
    for (let hop = 0; hop < MAX_HOPS; hop += 1) {
      if (page.status === 302 && page.html === '') return page;
      // A page that refuses what was submitted (400, 403…) is where a person would stop and read.
      if (page.status >= 400) return page;
      const form = parseForms(page.html, page.url).find((candidate) => candidate.method === 'POST' && candidate.hidden.step !== undefined);
      if (!form) return page;
      const step = form.hidden.step;
      const fields = new URLSearchParams(form.hidden);
      if (step === 'code') {
        if (!choices.userCode) return page;
        fields.set('otc', choices.userCode);
      } else if (step === 'signin') {
        fillSignIn(fields, form, choices);
      } else if (step === 'mfa') {
        fields.set('decision', choices.mfa === false ? 'deny' : 'approve');
      } else if (step === 'consent') {
        fields.set('decision', choices.consent ?? 'accept');
      } else if (step === 'adminconsent') {
        fields.set('decision', choices.adminConsent?.[adminConsents] ?? 'accept');
        adminConsents += 1;
      } else {
        return page;
      }
      page = await this.open(form.action, stopAt, { form: fields });
    }
    throw new Error(`The sign-in did not finish within ${MAX_HOPS} pages.`);
  }
}

function fillSignIn(fields: URLSearchParams, form: PageForm, choices: SignInChoices): void {
  if (choices.cancel) {
    fields.set('action', 'cancel');
    return;
  }
  const { user } = choices;
  fields.set('action', 'signin');
  fields.set('userPrincipalName', user.userPrincipalName);
  fields.set('displayName', user.displayName ?? user.userPrincipalName.split('@')[0] ?? user.userPrincipalName);
  if (form.controls.some((control) => control.name === 'tenantId')) {
    if (!user.tenantId) throw new Error("Signing in at organizations/common: give the user's tenantId.");
    fields.set('tenantId', user.tenantId);
  }
  for (const role of user.directoryRoles ?? []) fields.append('directoryRoles', role);
  for (const role of user.appRoles ?? []) fields.append('appRoles', role);
  if (choices.mfa === true) fields.set('mfa', 'on');
}

/** The authority base of an authorize URL: `…/dev/login` of `…/dev/login/{tenant}/oauth2/v2.0/authorize`. */
function authorityBaseOf(authorizeUrl: string): string {
  const url = new URL(authorizeUrl);
  return `${url.origin}${url.pathname.replace(/\/[^/]+\/oauth2\/v2\.0\/authorize\/?$/i, '')}`;
}

function leaves(base: string): (url: URL) => boolean {
  return (url) => !url.toString().toLowerCase().startsWith(`${base.toLowerCase()}/`);
}

/**
 * Completes an authorization request on the development authority as `user` and answers the final
 * redirect URL (to the app's redirect_uri, with `code` and `state`, or `error`), unvisited.
 */
export async function completeAuthorization(options: SignInChoices & { authorizeUrl: string; browser?: DevBrowser; fetch?: typeof fetch }): Promise<string> {
  const browser = options.browser ?? new DevBrowser({ fetch: options.fetch });
  const page = await browser.run(options.authorizeUrl, options, leaves(authorityBaseOf(options.authorizeUrl)));
  if (page.status !== 302) throw new Error(`The sign-in stopped on a page (${page.status}): ${htmlToText(page.html).slice(0, 400)}`);
  return page.url;
}

/**
 * Approves (or, with `cancel` or `mfa: false`, declines) a device code on the verification page, as
 * the user would in a browser. Answers whether the page said the sign-in succeeded, and its text.
 */
export async function approveDeviceCode(
  options: SignInChoices & { verificationUri: string; userCode: string; browser?: DevBrowser; fetch?: typeof fetch },
): Promise<{ approved: boolean; text: string }> {
  const browser = options.browser ?? new DevBrowser({ fetch: options.fetch });
  const page = await browser.run(options.verificationUri, options);
  const text = htmlToText(page.html);
  if (page.status !== 200) throw new Error(`The device code page answered ${page.status}: ${text.slice(0, 400)}`);
  return { approved: /<h1 class="ok">Signed in<\/h1>/.test(page.html), text };
}
