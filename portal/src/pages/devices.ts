import { html, nothing, type TemplateResult } from 'lit';
import { portalUrl } from '../auth.js';
import type { Collection, ManagedDevice } from '../types.js';
import { errorBanner, formatDate, loading, PortalElement, pager, stateBadge, type PageContext } from '../ui.js';

const PAGE_SIZE = 20;
const LIST_PROPERTIES = 'id,deviceName,userPrincipalName,azureADDeviceId,joinType,operatingSystem,osVersion,lastSyncDateTime,canReset,deviceActionResults';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const JOIN_TYPES: Readonly<Record<string, string>> = {
  azureADJoined: 'Microsoft Entra joined',
  hybridAzureADJoined: 'Microsoft Entra hybrid joined',
  azureADRegistered: 'Microsoft Entra registered',
};

/** OData string literal: single quotes doubled. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The device list: filter by join type, search by exact device name or Entra device id, paging by nextLink. */
export class DevicesPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    params: { attribute: false },
    devices: { state: true },
    pages: { state: true },
    nextLink: { state: true },
  };
  declare context: PageContext;
  declare params: URLSearchParams;
  declare devices: ManagedDevice[] | undefined;
  /** Links of the pages before the current one (for Previous) and the current one. */
  declare pages: string[];
  declare nextLink: string | undefined;

  constructor() {
    super();
    this.params = new URLSearchParams();
    this.devices = undefined;
    this.pages = [];
    this.nextLink = undefined;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params')) {
      this.pages = [this.firstPage()];
      void this.load();
    }
  }

  private firstPage(): string {
    const filters: string[] = [];
    const joinType = this.params.get('joinType');
    if (joinType && JOIN_TYPES[joinType]) filters.push(`joinType eq ${literal(joinType)}`);
    const search = this.params.get('search')?.trim();
    if (search) filters.push(`${GUID.test(search) ? 'azureADDeviceId' : 'deviceName'} eq ${literal(search)}`);
    const query = new URLSearchParams({ $top: String(PAGE_SIZE), $select: LIST_PROPERTIES });
    if (filters.length > 0) query.set('$filter', filters.join(' and '));
    return `/v1.0/deviceManagement/managedDevices?${query}`;
  }

  private async load(): Promise<void> {
    const path = this.pages.at(-1) ?? this.firstPage();
    await this.run(async () => {
      const page = await this.context.api.get<Collection<ManagedDevice>>(path);
      this.devices = page.value;
      this.nextLink = page['@odata.nextLink'] ? new URL(page['@odata.nextLink']).pathname + new URL(page['@odata.nextLink']).search : undefined;
    });
  }

  private applyFilters(event: Event): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const query = new URLSearchParams();
    const search = String(data.get('search') ?? '').trim();
    const joinType = String(data.get('joinType') ?? '');
    if (search) query.set('search', search);
    if (joinType) query.set('joinType', joinType);
    this.context.navigate(`devices${query.size ? `?${query}` : ''}`);
  }

  override render(): TemplateResult {
    return html`<h1>Devices</h1>
      <form class="toolbar" role="search" aria-label="Filter devices" @submit=${this.applyFilters}>
        <div class="field">
          <label for="device-search">Device name or Entra device ID (exact)</label>
          <input id="device-search" name="search" type="search" .value=${this.params.get('search') ?? ''} autocomplete="off">
        </div>
        <div class="field">
          <label for="device-join">Join type</label>
          <select id="device-join" name="joinType">
            <option value="" ?selected=${!this.params.get('joinType')}>All join types</option>
            ${Object.entries(JOIN_TYPES).map(([value, label]) => html`<option value=${value} ?selected=${this.params.get('joinType') === value}>${label}</option>`)}
          </select>
        </div>
        <fluent-button appearance="primary" @click=${(event: Event) => (event.currentTarget as HTMLElement).closest('form')?.requestSubmit()}>Apply</fluent-button>
      </form>
      ${errorBanner(this.error)}
      ${this.devices ? this.table(this.devices) : loading()}`;
  }

  private table(devices: ManagedDevice[]): TemplateResult {
    if (devices.length === 0) {
      const filtered = this.params.has('search') || this.params.has('joinType');
      return html`<section class="card empty" role="status">
        <h2>${filtered ? 'No device matches' : 'No devices yet'}</h2>
        <p>${
          filtered
            ? 'No enrolled device has that name, Entra device ID or join type. Search needs the exact device name.'
            : "Devices appear here once the PIN reset agent on each device enrols it (pinreset-agent enroll, with PINRESET_URL set to this service's address). The client policy does not do that: it sets Windows' PIN settings only."
        }</p>
      </section>`;
    }
    return html`<div class="table-wrap card" tabindex="0" role="region" aria-label="Enrolled devices">
      <table class="devices stack">
        <caption class="visually-hidden">Enrolled devices</caption>
        <thead><tr><th scope="col">Device</th><th scope="col">User</th><th scope="col">Join type</th><th scope="col">OS</th><th scope="col">CanReset</th><th scope="col">Last sync</th><th scope="col">Latest passcode reset</th></tr></thead>
        <tbody>${devices.map((device) => {
          const latest = device.deviceActionResults?.[0];
          return html`<tr>
            <th scope="row" data-label="Device"><span><a href="${portalUrl()}devices/${device.id}">${device.deviceName ?? device.id}</a></span></th>
            <td data-label="User"><span>${device.userPrincipalName ?? '—'}</span></td>
            <td data-label="Join type"><span>${JOIN_TYPES[device.joinType ?? ''] ?? device.joinType ?? '—'}</span></td>
            <td data-label="OS"><span>${device.operatingSystem ?? ''} ${device.osVersion ?? ''}</span></td>
            <td data-label="CanReset"><span>${device.canReset ?? 'Unknown'}</span></td>
            <td data-label="Last sync"><span>${formatDate(device.lastSyncDateTime)}</span></td>
            <td data-label="Latest reset"><span>${latest ? stateBadge(latest.actionState) : '—'}</span></td>
          </tr>`;
        })}</tbody>
      </table>
    </div>
    ${pager('Device pages', this, (trail) => {
      this.pages = trail;
      void this.load();
    })}
    ${nothing}`;
  }
}

customElements.define('pr-devices', DevicesPage);
