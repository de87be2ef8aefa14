import { html, nothing, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { Api, GraphError } from './api.js';
import { currentRoute, portalUrl, serviceBaseUrl, Session, SignInError, type SignedInUser } from './auth.js';
import type { Organization, Collection } from './types.js';
import { errorBanner, loading, PortalElement, type PageContext } from './ui.js';
import './confirm.js';
import './pages/overview.js';
import './pages/settings.js';
import './pages/devices.js';
import './pages/device-detail.js';
import './pages/keys.js';
import './pages/audit.js';

type ShellState =
  | { kind: 'starting' }
  | { kind: 'signedOut'; message?: string }
  | { kind: 'signInFailed'; error: SignInError | Error }
  | { kind: 'notAdmin'; error: GraphError }
  | { kind: 'ready' };

const NAVIGATION = [
  { route: '', label: 'Overview' },
  { route: 'settings', label: 'Settings' },
  { route: 'devices', label: 'Devices' },
  { route: 'keys', label: 'Keys' },
  { route: 'audit', label: 'Audit' },
] as const;

const TITLES: Readonly<Record<string, string>> = { '': 'Overview', settings: 'Settings', devices: 'Devices', keys: 'Protector keys', audit: 'Audit log' };

/** The shell: sign-in, the header with who is signed in, navigation, and the page for the route. */
export class PortalApp extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    state: { state: true },
    route: { state: true },
    visit: { state: true },
    organization: { state: true },
  };
  declare state: ShellState;
  declare route: string;
  /** Bumped by a link to the page already shown: that page is made afresh (its data read again), as a reload would. */
  declare visit: number;
  declare organization: Organization | undefined;
  private readonly session = new Session();
  private readonly api = new Api(this.session, serviceBaseUrl());

  constructor() {
    super();
    this.state = { kind: 'starting' };
    this.route = currentRoute();
    this.visit = 0;
    this.organization = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    this.addEventListener('click', this.onLinkClick);
    void this.start();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('popstate', this.onPopState);
    this.removeEventListener('click', this.onLinkClick);
    super.disconnectedCallback();
  }

  private readonly onPopState = () => {
    this.route = currentRoute();
  };

  /** Same-app links navigate without a reload. */
  private readonly onLinkClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const href = anchor.href;
    if (!href.startsWith(portalUrl())) return;
    event.preventDefault();
    this.navigate(href.slice(portalUrl().length));
  };

  navigate(route: string): void {
    if (route === this.route) {
      this.visit += 1;
      return;
    }
    window.history.pushState(null, '', `${portalUrl()}${route}`);
    this.route = route;
    window.scrollTo(0, 0);
  }

  private async start(): Promise<void> {
    try {
      const redirect = await this.session.completeRedirect();
      if (redirect) this.route = redirect.returnTo;
    } catch (error) {
      this.state = { kind: 'signInFailed', error: error as Error };
      return;
    }
    if (!this.session.user) {
      this.state = { kind: 'signedOut' };
      return;
    }
    await this.checkAdministrator(this.session.user);
  }

  /** An admin route tells whether this user may use the admin center (403 otherwise). */
  private async checkAdministrator(user: SignedInUser): Promise<void> {
    try {
      await this.api.get(`/v1.0/organization/${user.tenantId}/pinResetOnboarding`);
      this.state = { kind: 'ready' };
    } catch (error) {
      if (error instanceof GraphError && error.status === 403) {
        this.state = { kind: 'notAdmin', error };
        return;
      }
      this.state = { kind: 'ready' };
    }
    try {
      const organizations = await this.api.get<Collection<Organization>>('/v1.0/organization?$select=id,displayName');
      this.organization = organizations.value[0];
    } catch {
      this.organization = undefined;
    }
  }

  private signIn(options: { prompt?: string } = {}) {
    void this.run(() => this.session.signIn({ returnTo: this.route, ...options }));
  }

  private signOut() {
    this.session.signOut();
    this.organization = undefined;
    window.history.replaceState(null, '', portalUrl());
    this.route = '';
    this.state = { kind: 'signedOut', message: 'You are signed out of the admin center.' };
  }

  override updated(): void {
    this.classList.toggle('no-nav', this.state.kind !== 'ready');
    const section = this.route.split(/[/?]/)[0] ?? '';
    const base = TITLES[section] ?? 'Admin center';
    document.title = `${base} · PIN reset admin center`;
  }

  override render(): TemplateResult {
    return html`
      <a class="skip-link" href="#main">Skip to content</a>
      ${this.header()}
      ${this.state.kind === 'ready' ? this.navigation() : nothing}
      <main id="main" tabindex="-1">${this.body()}</main>`;
  }

  private header(): TemplateResult {
    const user = this.state.kind === 'ready' || this.state.kind === 'notAdmin' ? this.session.user : undefined;
    const tenantName = this.organization?.displayName ?? user?.tenantId;
    return html`<header class="top-bar">
      <span class="brand">PIN reset admin center</span>
      ${
        user
          ? html`<div class="who" aria-label="Signed in">
            <span class="who-name">${user.name}</span>
            <span class="who-tenant">${user.username ? `${user.username} · ` : ''}Tenant ${tenantName}</span>
          </div>
          <fluent-button appearance="subtle" class="on-dark" @click=${() => this.signOut()}>Sign out</fluent-button>`
          : nothing
      }
    </header>`;
  }

  private navigation(): TemplateResult {
    const section = this.route.split(/[/?]/)[0] ?? '';
    return html`<nav class="side-nav" aria-label="Admin center">
      <ul>
        ${NAVIGATION.map((item) => html`<li><a href="${portalUrl()}${item.route}" aria-current=${section === item.route ? 'page' : 'false'}>${item.label}</a></li>`)}
      </ul>
    </nav>`;
  }

  private body(): TemplateResult {
    switch (this.state.kind) {
      case 'starting':
        return loading('Signing in');
      case 'signedOut':
        return html`<section class="card narrow">
          <h1>PIN reset admin center</h1>
          ${this.state.message ? html`<p role="status">${this.state.message}</p>` : nothing}
          <p>Sign in with an administrator account of your Microsoft Entra tenant to onboard it, set the PIN
            policy, reset device passcodes, manage the protector keys and read the audit log.</p>
          ${errorBanner(this.error)}
          <fluent-button appearance="primary" @click=${() => this.signIn()}>Sign in</fluent-button>
        </section>`;
      case 'signInFailed':
        return html`<section class="card narrow">
          <h1>Sign-in did not complete</h1>
          ${errorBanner(this.state.error)}
          <p>${
            this.state.error instanceof SignInError && this.state.error.code === 'access_denied'
              ? 'The sign-in was canceled or refused at the sign-in page.'
              : 'Start the sign-in again. If it keeps failing, give the message above to the service operator.'
          }</p>
          <fluent-button appearance="primary" @click=${() => this.signIn()}>Sign in again</fluent-button>
        </section>`;
      case 'notAdmin':
        return html`<section class="card narrow" aria-labelledby="not-admin-title">
          <h1 id="not-admin-title">You are not an administrator of this tenant</h1>
          <p>You are signed in as <strong>${this.session.user?.name}</strong> (${this.session.user?.username}) in tenant
            <code>${this.session.user?.tenantId}</code>, but the admin center needs one of these Microsoft Entra roles:
            Global Administrator, Application Administrator, Cloud Application Administrator or Intune Administrator
            (Helpdesk Administrators may reset passcodes), or the <code>PinReset.Administrator</code> app role.</p>
          <p>Ask an administrator to assign you a role, or sign in with another account.</p>
          ${errorBanner(this.state.error)}
          <div class="actions">
            <fluent-button appearance="primary" @click=${() => {
              this.session.signOut();
              this.signIn({ prompt: 'select_account' });
            }}>Sign in with another account</fluent-button>
            <fluent-button @click=${() => this.signOut()}>Sign out</fluent-button>
          </div>
        </section>`;
      case 'ready':
        return html`${keyed(this.visit, this.page())}`;
    }
  }

  private page(): TemplateResult {
    const user = this.session.user;
    if (!user) return loading();
    const context: PageContext = { api: this.api, user, tenantId: user.tenantId, navigate: (route) => this.navigate(route) };
    const [path = '', query = ''] = this.route.split('?');
    const [section = '', id] = path.split('/');
    const params = new URLSearchParams(query);
    switch (section) {
      case '':
        return html`<pr-overview .context=${context} .organization=${this.organization}></pr-overview>`;
      case 'settings':
        return html`<pr-settings .context=${context}></pr-settings>`;
      case 'devices':
        return id
          ? html`<pr-device-detail .context=${context} .deviceId=${decodeURIComponent(id)}></pr-device-detail>`
          : html`<pr-devices .context=${context} .params=${params}></pr-devices>`;
      case 'keys':
        return html`<pr-keys .context=${context}></pr-keys>`;
      case 'audit':
        return html`<pr-audit .context=${context} .params=${params}></pr-audit>`;
      default:
        return html`<section class="card"><h1>Page not found</h1><p>The admin center has no page <code>${this.route}</code>.</p>
          <p><a href="${portalUrl()}">Go to the overview</a></p></section>`;
    }
  }
}

customElements.define('pr-app', PortalApp);
