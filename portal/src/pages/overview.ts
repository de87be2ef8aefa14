import { html, nothing, type TemplateResult } from 'lit';
import { portalUrl, serviceBaseUrl } from '../auth.js';
import { omaValueText } from '../../../shared/services/client-policy.js';
import type { OmaSetting, OnboardingApplication, OnboardingStatus, Organization, PinRecoveryPolicy, TenantSettings } from '../types.js';
import { download, errorBanner, formatDate, loading, PortalElement, stateBadge, successBanner, type PageContext } from '../ui.js';

const GRAPH_HOSTS: Readonly<Record<TenantSettings['cloud'], { host: string; environment: string }>> = {
  public: { host: 'graph.microsoft.com', environment: 'Global' },
  usGovernment: { host: 'graph.microsoft.us', environment: 'USGov' },
  china: { host: 'microsoftgraph.chinacloudapi.cn', environment: 'China' },
};
const POLICY_FILE = 'pin-recovery-policy.json';
/** The Graph permission an admin needs to create a device configuration profile. */
export const GRAPH_PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';

/** The Group Policy part of a setting's description (the service writes it there, see docs/onboarding.md). */
function groupPolicyOf(setting: OmaSetting): string {
  const description = setting.description ?? '';
  const at = description.indexOf('Group Policy:');
  if (at >= 0) return description.slice(at + 'Group Policy:'.length).trim();
  return /no Group Policy equivalent/i.test(description) ? 'None (Policy CSP only)' : description;
}

export class OverviewPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    organization: { attribute: false },
    status: { state: true },
    policy: { state: true },
    cloud: { state: true },
    confirming: { state: true },
    notice: { state: true },
    copied: { state: true },
  };
  declare context: PageContext;
  declare organization: Organization | undefined;
  declare status: OnboardingStatus | undefined;
  declare policy: PinRecoveryPolicy | undefined;
  declare cloud: TenantSettings['cloud'];
  declare confirming: boolean;
  declare notice: string | undefined;
  declare copied: string | undefined;

  constructor() {
    super();
    this.status = undefined;
    this.policy = undefined;
    this.cloud = 'public';
    this.confirming = false;
    this.notice = undefined;
    this.copied = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private get base(): string {
    return `/v1.0/organization/${this.context.tenantId}`;
  }

  private async load(): Promise<void> {
    await this.run(async () => {
      this.status = await this.context.api.get<OnboardingStatus>(`${this.base}/pinResetOnboarding`);
      if (this.status.state === 'active') {
        const [policy, settings] = await Promise.all([
          this.context.api.get<PinRecoveryPolicy>(`${this.base}/pinRecoveryPolicy`),
          this.context.api.get<TenantSettings>(`${this.base}/pinResetSettings`),
        ]);
        this.policy = policy;
        this.cloud = settings.cloud;
      } else {
        this.policy = undefined;
      }
    });
  }

  private async verify(): Promise<void> {
    this.notice = undefined;
    await this.run(async () => {
      await this.context.api.call('POST', `${this.base}/pinResetOnboarding/verify`);
    });
    const failed = this.error;
    await this.load();
    if (!failed && !this.error) this.notice = `Verified both applications in Microsoft Graph: the tenant is ${this.status?.state}.`;
    else if (failed) this.error = failed;
  }

  private async offboard(): Promise<void> {
    this.confirming = false;
    const done = await this.run(async () => {
      await this.context.api.call('DELETE', `${this.base}/pinResetOnboarding`);
      return true;
    });
    if (done) {
      await this.load();
      this.notice = 'The tenant is offboarded: its protector keys are destroyed and pending passcode resets are canceled. The audit log is kept.';
    }
  }

  private async copy(label: string, text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.copied = `${label} copied to the clipboard.`;
    } catch {
      this.copied = 'The browser did not allow copying: select the text and copy it.';
    }
  }

  override render(): TemplateResult {
    return html`<h1>Overview</h1>
      ${errorBanner(this.error)}
      ${successBanner(this.notice)}
      ${this.status ? this.onboarding(this.status) : this.busy ? loading() : nothing}
      ${this.policy ? this.clientPolicy(this.policy) : nothing}`;
  }

  private onboarding(status: OnboardingStatus): TemplateResult {
    const onboardUrl = `${serviceBaseUrl()}/onboarding/start?tenant=${encodeURIComponent(this.context.tenantId)}`;
    const name = this.organization?.displayName ?? this.context.tenantId;
    const canOnboard = status.state !== 'active';
    return html`<section class="card" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Onboarding</h2>
      <dl class="facts">
        <dt>Tenant</dt><dd>${this.organization?.displayName ? html`${this.organization.displayName} ` : nothing}<code>${this.context.tenantId}</code></dd>
        <dt>State</dt><dd data-testid="onboarding-state">${stateBadge(status.state)}</dd>
        <dt>Last verification</dt><dd>${formatDate(status.lastVerifiedDateTime)}</dd>
        ${status.failure ? html`<dt>Failure</dt><dd><strong>${status.failure.code}</strong>: ${status.failure.message}</dd>` : nothing}
      </dl>
      ${
        canOnboard
          ? html`<p>${status.state === 'offboarded' ? 'This tenant was offboarded. ' : status.state === 'failed' ? 'The last onboarding or verification failed. ' : 'This tenant is not onboarded yet. '}
            Onboarding signs you in and asks you to grant admin consent to both applications.</p>
            <p><a class="button-link primary" href=${onboardUrl}>Onboard this tenant</a></p>`
          : nothing
      }
      <div class="table-wrap" tabindex="0" role="region" aria-label="Applications">
        <table class="stack">
          <caption>Applications</caption>
          <thead><tr><th scope="col">Application</th><th scope="col">App id</th><th scope="col">Consented</th><th scope="col">Service principal</th><th scope="col">Consented on</th></tr></thead>
          <tbody>${[status.serviceApplication, status.clientApplication].map((app, index) => this.application(app, index === 0 ? 'PIN reset service' : 'PIN reset client'))}</tbody>
        </table>
      </div>
      <div class="actions">
        <fluent-button appearance="primary" ?disabled=${this.busy || status.state === 'notStarted' || status.state === 'offboarded'} @click=${() => this.verify()}>Verify now</fluent-button>
        <fluent-button class="danger" ?disabled=${this.busy || status.state === 'offboarded' || status.state === 'notStarted'} @click=${() => {
          this.confirming = true;
        }}>Offboard…</fluent-button>
      </div>
      ${
        this.confirming
          ? html`<pr-confirm danger heading="Offboard ${name}?" expected="offboard"
            consequence="Offboarding destroys this tenant's protector keys at once: every PIN reset protector made for this tenant can never be decrypted again, and pending passcode resets are canceled. The audit log is kept. To offboard for good, also delete both enterprise applications in Microsoft Entra."
            actionLabel="Offboard and destroy keys" @confirm=${() => this.offboard()} @cancel=${() => {
              this.confirming = false;
            }}></pr-confirm>`
          : nothing
      }
    </section>`;
  }

  private application(app: OnboardingApplication, label: string): TemplateResult {
    return html`<tr>
      <th scope="row" data-label="Application"><span>${app.displayName ?? label}</span></th>
      <td data-label="App id"><span><code>${app.appId}</code></span></td>
      <td data-label="Consented"><span>${app.consented ? html`<fluent-badge appearance="tint" color="success">yes</fluent-badge>` : html`<fluent-badge appearance="tint" color="subtle">no</fluent-badge>`}</span></td>
      <td data-label="Service principal"><span>${app.servicePrincipalId ? html`<code>${app.servicePrincipalId}</code>` : '—'}</span></td>
      <td data-label="Consented on"><span>${formatDate(app.consentedDateTime)}</span></td>
    </tr>`;
  }

  private clientPolicy(policy: PinRecoveryPolicy): TemplateResult {
    const json = JSON.stringify(policy, null, 2);
    const graph = GRAPH_HOSTS[this.cloud];
    const url = `https://${graph.host}/v1.0/deviceManagement/deviceConfigurations`;
    const powershell = [
      `Connect-MgGraph -Environment ${graph.environment} -TenantId ${this.context.tenantId} -Scopes ${GRAPH_PERMISSION}`,
      `Invoke-MgGraphRequest -Method POST -Uri ${url} -ContentType 'application/json' -Body (Get-Content -Raw ./${POLICY_FILE})`,
    ].join('\n');
    const curl = [
      `# TOKEN: a Microsoft Graph access token with ${GRAPH_PERMISSION}`,
      `curl -X POST '${url}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data @${POLICY_FILE}`,
    ].join('\n');
    const settings = policy.omaSettings ?? [];
    return html`<section class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Client policy</h2>
      <p>Deploy this Intune custom profile to the devices (device scope): it turns on PIN recovery with this tenant and sets the
        PIN complexity from the <a href="${portalUrl()}settings">settings</a>. The file can be POSTed unchanged to Microsoft Graph
        <code>deviceManagement/deviceConfigurations</code>; that needs the Graph permission <strong>${GRAPH_PERMISSION}</strong>.</p>
      <div class="actions">
        <fluent-button appearance="primary" @click=${() => download(POLICY_FILE, json, 'application/json')}>Download ${POLICY_FILE}</fluent-button>
      </div>
      ${this.copied ? html`<p role="status" class="muted">${this.copied}</p>` : nothing}
      ${this.command('Microsoft Graph PowerShell', powershell)}
      ${this.command('curl', curl)}
      <div class="table-wrap" tabindex="0" role="region" aria-label="Client policy settings">
        <table class="stack">
          <caption>Settings and their Group Policy equivalents</caption>
          <thead><tr><th scope="col">Setting</th><th scope="col">OMA-URI</th><th scope="col">Value</th><th scope="col">Group Policy</th></tr></thead>
          <tbody>${settings.map(
            (setting) => html`<tr>
            <th scope="row" data-label="Setting"><span>${setting.displayName ?? ''}</span></th>
            <td class="break" data-label="OMA-URI"><span><code>${setting.omaUri}</code></span></td>
            <td data-label="Value"><span><code>${omaValueText(setting.omaUri, setting.value)}</code></span></td>
            <td data-label="Group Policy"><span>${groupPolicyOf(setting)}</span></td>
          </tr>`,
          )}</tbody>
        </table>
      </div>
    </section>`;
  }

  private command(label: string, text: string): TemplateResult {
    return html`<div class="command">
      <div class="command-head"><h3>${label}</h3>
        <fluent-button size="small" @click=${() => this.copy(label, text)} aria-label="Copy the ${label} commands">Copy</fluent-button></div>
      <pre tabindex="0" aria-label="${label} commands"><code>${text}</code></pre>
    </div>`;
  }
}

customElements.define('pr-overview', OverviewPage);
