import { html, nothing, type TemplateResult } from 'lit';
import type { Collection, ProtectorKeyVersionWithDevices } from '../types.js';
import { errorBanner, formatDate, loading, PortalElement, stateBadge, successBanner, type PageContext } from '../ui.js';

type KeyVersion = ProtectorKeyVersionWithDevices;

export class KeysPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    versions: { state: true },
    retiring: { state: true },
    notice: { state: true },
    confirmingRotate: { state: true },
  };
  declare context: PageContext;
  declare versions: KeyVersion[] | undefined;
  declare retiring: string | undefined;
  declare notice: string | undefined;
  declare confirmingRotate: boolean;

  constructor() {
    super();
    this.versions = undefined;
    this.retiring = undefined;
    this.notice = undefined;
    this.confirmingRotate = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.run(() => this.load());
  }

  private get base(): string {
    return `/v1.0/organization/${this.context.tenantId}/pinResetProtectorKeys`;
  }

  private async load(): Promise<void> {
    this.versions = (await this.context.api.get<Collection<KeyVersion>>(`${this.base}/versions`)).value;
  }

  private async rotate(): Promise<void> {
    this.confirmingRotate = false;
    this.notice = undefined;
    await this.run(async () => {
      await this.context.api.call('POST', `${this.base}/rotate`);
      await this.load();
      this.notice = 'Rotated: new protectors use the new key. Devices re-wrap theirs at their next PIN reset; until then the previous key still decrypts.';
    });
  }

  private async retire(version: KeyVersion): Promise<void> {
    this.retiring = undefined;
    this.notice = undefined;
    await this.run(async () => {
      await this.context.api.call('POST', `${this.base}/versions/${encodeURIComponent(version.kid)}/retire`);
      await this.load();
      this.notice = `Key ${version.kid.slice(0, 8)}… is retired: it never decrypts again.`;
    });
  }

  override render(): TemplateResult {
    return html`<h1>Protector keys</h1>
      <p class="lead">Each device wraps its PIN reset protector with the tenant's active key. After a rotation the previous key
        still decrypts (devices re-wrap on their next reset) until you retire it.</p>
      ${errorBanner(this.error)}
      ${successBanner(this.notice)}
      <div class="actions">
        <fluent-button appearance="primary" ?disabled=${this.busy} @click=${() => {
          this.confirmingRotate = true;
        }}>Rotate key…</fluent-button>
      </div>
      ${
        this.confirmingRotate
          ? html`<pr-confirm heading="Rotate the protector key?" actionLabel="Rotate"
            consequence="A new key becomes active for new protectors. The current key becomes decrypt-only, so existing protectors keep working and are re-wrapped at their next reset."
            @confirm=${() => this.rotate()} @cancel=${() => {
              this.confirmingRotate = false;
            }}></pr-confirm>`
          : nothing
      }
      ${this.versions ? this.table(this.versions) : this.busy ? loading() : nothing}`;
  }

  private table(versions: KeyVersion[]): TemplateResult {
    if (versions.length === 0) {
      return html`<section class="card empty" role="status"><h2>No keys</h2><p>The tenant gets its first key when it is onboarded.</p></section>`;
    }
    return html`<div class="table-wrap card" tabindex="0" role="region" aria-label="Protector key versions">
      <table class="keys stack">
        <caption class="visually-hidden">Protector key versions</caption>
        <thead><tr><th scope="col">Key id</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Devices</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${versions.map(
          (version) => html`<tr data-kid=${version.kid}>
          <th scope="row" class="break" data-label="Key id"><span><code title=${version.kid}>${version.kid}</code></span></th>
          <td data-label="State"><span>${stateBadge(version.state)}</span></td>
          <td data-label="Created"><span>${formatDate(version.createdDateTime)}</span></td>
          <td data-testid="device-count" data-label="Devices"><span>${version.deviceCount}</span></td>
          <td data-label="">${
            version.state === 'decryptOnly'
              ? html`<fluent-button size="small" class="danger" ?disabled=${this.busy} @click=${() => {
                  this.retiring = version.kid;
                }} aria-label="Retire key ${version.kid.slice(0, 8)}">Retire…</fluent-button>`
              : nothing
          }</td>
        </tr>`,
        )}</tbody>
      </table>
    </div>
    ${this.retiring ? this.retireConfirmation(versions.find((version) => version.kid === this.retiring)) : nothing}`;
  }

  private retireConfirmation(version: KeyVersion | undefined): TemplateResult | typeof nothing {
    if (!version) return nothing;
    const count = version.deviceCount;
    return html`<pr-confirm danger heading="Retire key ${version.kid.slice(0, 8)}…?" expected=${version.kid.slice(0, 8)} actionLabel="Retire key"
      consequence=${`${count} enrolled device${count === 1 ? '' : 's'} still hold${count === 1 ? 's' : ''} a protector under this key. Retiring erases its private key: their non-destructive PIN reset stops working until they make a new protector (a destructive reset or a new enrolment). This cannot be undone.`}
      @confirm=${() => this.retire(version)} @cancel=${() => {
        this.retiring = undefined;
      }}></pr-confirm>`;
  }
}

customElements.define('pr-keys', KeysPage);
