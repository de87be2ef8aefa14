import { html, nothing, type TemplateResult } from 'lit';
import { GraphError } from '../api.js';
import { portalUrl } from '../auth.js';
import type { Collection, DeviceActionResult, ManagedDevice } from '../types.js';
import { errorBanner, formatDate, loading, PortalElement, stateBadge, successBanner, type PageContext } from '../ui.js';
import { JOIN_TYPES } from './devices.js';

/** Everything but deviceActionResults: reading those from the device itself would reveal the passcode. */
const DEVICE_PROPERTIES =
  'id,deviceName,userId,userPrincipalName,azureADDeviceId,joinType,managedDeviceOwnerType,operatingSystem,osVersion,enrolledDateTime,lastSyncDateTime,canReset';
const OPEN_STATES = new Set(['pending', 'active']);
const POLL_MS = 2_000;

type ActionView = DeviceActionResult;

/** A device's PIN policy refused the passcode: what to change on the settings page (the description names the API fields). */
const SETTINGS_FIXES: Readonly<Record<string, string>> = {
  InvalidPinTooFewCharacters: 'to raise the minimum length',
  InvalidPinTooManyCharacters: 'to lower the maximum length',
  InvalidPinMissingRequiredCharacters: 'to require the character class the device requires',
  InvalidPinDisallowedCharacters: 'to disallow the character class the device disallows',
  InvalidPinUnknownCharacters: 'to disallow special characters',
};

export class DeviceDetailPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    deviceId: { attribute: false },
    device: { state: true },
    actions: { state: true },
    confirmingReset: { state: true },
    revealing: { state: true },
    revealed: { state: true },
    notice: { state: true },
    reason: { state: true },
    missing: { state: true },
  };
  /** The device itself answered 404. */
  declare missing: boolean;
  declare context: PageContext;
  declare deviceId: string;
  declare device: ManagedDevice | undefined;
  declare actions: ActionView[] | undefined;
  declare confirmingReset: boolean;
  /** The action whose passcode the admin is about to reveal. */
  declare revealing: string | undefined;
  /** Revealed passcodes by action id, kept only in this page's memory. */
  declare revealed: Record<string, string | null>;
  declare notice: string | undefined;
  declare reason: string;
  private poll: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.device = undefined;
    this.actions = undefined;
    this.confirmingReset = false;
    this.revealing = undefined;
    this.revealed = {};
    this.notice = undefined;
    this.reason = '';
    this.missing = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    clearTimeout(this.poll);
    super.disconnectedCallback();
  }

  private get path(): string {
    return `/v1.0/deviceManagement/managedDevices/${encodeURIComponent(this.deviceId)}`;
  }

  private async load(): Promise<void> {
    await this.run(async () => {
      try {
        this.device = await this.context.api.get<ManagedDevice>(`${this.path}?$select=${DEVICE_PROPERTIES}`);
      } catch (error) {
        this.missing = error instanceof GraphError && error.status === 404;
        throw error;
      }
      this.actions = await this.loadActions();
    });
    this.schedulePoll();
  }

  /** The action history as a collection read: never a passcode, so never a reveal. */
  private async loadActions(): Promise<ActionView[]> {
    return (await this.context.api.get<Collection<ActionView>>(`${this.path}/deviceActionResults`)).value;
  }

  /** While an action is open, its state is followed live until it is done, failed or canceled. */
  private schedulePoll(): void {
    clearTimeout(this.poll);
    if (!this.actions?.some((action) => OPEN_STATES.has(action.actionState))) return;
    this.poll = setTimeout(async () => {
      if (!this.isConnected) return;
      try {
        const before = this.actions?.[0];
        this.actions = await this.loadActions();
        const after = this.actions[0];
        if (before && after && before.id === after.id && before.actionState !== after.actionState && !OPEN_STATES.has(after.actionState)) {
          this.notice = after.actionState === 'done' ? 'The device applied the new passcode.' : undefined;
        }
      } catch (error) {
        this.error = error;
      }
      this.schedulePoll();
    }, POLL_MS);
  }

  private async resetPasscode(): Promise<void> {
    this.confirmingReset = false;
    this.notice = undefined;
    const done = await this.run(async () => {
      await this.context.api.call('POST', `${this.path}/resetPasscode`, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
      this.actions = await this.loadActions();
      return true;
    });
    if (done) this.notice = 'Passcode reset requested. The state below follows the device until it is done or failed.';
    this.schedulePoll();
  }

  private async cancel(action: ActionView): Promise<void> {
    this.notice = undefined;
    await this.run(async () => {
      await this.context.api.call('POST', `${this.path}/deviceActionResults/${encodeURIComponent(action.id)}/cancel`);
      this.actions = await this.loadActions();
      this.notice = 'The passcode reset was canceled: its passcode is erased and the device will not apply it.';
    });
  }

  /** A single-device read with Reveal-Reason: the service audits it as passcodeRevealed. */
  private async reveal(event: Event, action: ActionView): Promise<void> {
    event.preventDefault();
    const reason = this.reason.trim();
    if (!reason) return;
    await this.run(async () => {
      const device = await this.context.api.get<ManagedDevice>(`${this.path}?$select=id,deviceActionResults`, { 'Reveal-Reason': reason });
      const found = device.deviceActionResults?.find((candidate) => candidate.id === action.id);
      this.revealed = { ...this.revealed, [action.id]: found?.passcode ?? null };
      this.revealing = undefined;
      this.reason = '';
      this.actions = await this.loadActions();
    });
  }

  override render(): TemplateResult {
    const notFound = this.missing;
    return html`<p class="breadcrumb"><a href="${portalUrl()}devices">Devices</a> › ${this.device?.deviceName ?? this.deviceId}</p>
      <h1>${this.device?.deviceName ?? 'Device'}</h1>
      ${notFound ? html`<section class="card empty" role="status"><h2>No such device</h2><p>This tenant has no enrolled device with id <code>${this.deviceId}</code>. It may have been deleted.</p></section>` : errorBanner(this.error)}
      ${successBanner(this.notice)}
      ${this.device ? this.details(this.device) : notFound ? nothing : loading()}
      ${this.device && this.actions ? this.history(this.actions) : nothing}`;
  }

  private details(device: ManagedDevice): TemplateResult {
    const open = this.actions?.find((action) => OPEN_STATES.has(action.actionState));
    return html`<section class="card" aria-labelledby="device-title">
      <h2 id="device-title">Device</h2>
      <dl class="facts">
        <dt>User</dt><dd>${device.userPrincipalName ?? device.userId ?? '—'}</dd>
        <dt>Join type</dt><dd>${JOIN_TYPES[device.joinType ?? ''] ?? device.joinType ?? '—'}</dd>
        <dt>Ownership</dt><dd>${device.managedDeviceOwnerType ?? '—'}</dd>
        <dt>CanReset</dt><dd><code>${device.canReset ?? 'Unknown'}</code></dd>
        <dt>Operating system</dt><dd>${device.operatingSystem ?? ''} ${device.osVersion ?? ''}</dd>
        <dt>Entra device ID</dt><dd><code>${device.azureADDeviceId ?? '—'}</code></dd>
        <dt>Enrolled</dt><dd>${formatDate(device.enrolledDateTime)}</dd>
        <dt>Last sync</dt><dd>${formatDate(device.lastSyncDateTime)}</dd>
      </dl>
      <div class="actions">
        <fluent-button appearance="primary" ?disabled=${this.busy || Boolean(open)} @click=${() => {
          this.confirmingReset = true;
        }}>Reset passcode…</fluent-button>
        ${open ? html`<span class="muted">A passcode reset is ${open.actionState}: cancel it or wait until it finishes.</span>` : nothing}
      </div>
      ${
        this.confirmingReset
          ? html`<pr-confirm heading="Reset the passcode of ${device.deviceName ?? 'this device'}?"
            consequence="The service generates a new passcode that meets the tenant's PIN complexity. The device applies it the next time it checks in, and the user signs in with it. You can cancel until the device reports back."
            actionLabel="Reset passcode" @confirm=${() => this.resetPasscode()} @cancel=${() => {
              this.confirmingReset = false;
            }}></pr-confirm>`
          : nothing
      }
    </section>`;
  }

  private history(actions: ActionView[]): TemplateResult {
    return html`<section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Passcode resets</h2>
      <div aria-live="polite">
        ${
          actions.length === 0
            ? html`<p class="empty" role="status">No passcode reset was ever requested for this device.</p>`
            : html`<ol class="actions-list">${actions.map((action) => this.action(action))}</ol>`
        }
      </div>
    </section>`;
  }

  private action(action: ActionView): TemplateResult {
    const open = OPEN_STATES.has(action.actionState);
    const errorName = action.errorName;
    const revealed = this.revealed[action.id];
    const reveals = action.passcodeReveals ?? [];
    return html`<li class="action" data-action-id=${action.id}>
      <div class="action-head">
        <strong>${action.actionName === 'resetPasscode' ? 'Reset Passcode' : 'New Passcode'}</strong>
        <span data-testid="action-state">${stateBadge(action.actionState)}</span>
        ${open ? html`<fluent-spinner size="tiny" aria-label="Waiting for the device"></fluent-spinner>` : nothing}
      </div>
      <div class="muted">Requested ${formatDate(action.startDateTime)} · last update ${formatDate(action.lastUpdatedDateTime)}</div>
      ${
        action.actionState === 'failed'
          ? html`<div class="failure" role="note"><strong>${errorName ?? 'Failed'}${action.errorCode !== 0 ? ` (error ${action.errorCode})` : ''}</strong>:
            ${action.errorDescription ?? 'The device could not apply the passcode.'}
            ${errorName && SETTINGS_FIXES[errorName] ? html` <a href="${portalUrl()}settings">Open the settings</a> ${SETTINGS_FIXES[errorName]}, then reset again.` : nothing}</div>`
          : nothing
      }
      ${open || action.actionState === 'done' ? this.passcode(action, revealed) : nothing}
      ${
        reveals.length > 0
          ? html`<div class="muted">Passcode revealed ${reveals.length === 1 ? 'once' : `${reveals.length} times`}, last by
            ${reveals.at(-1)?.revealedBy.user.userPrincipalName ?? reveals.at(-1)?.revealedBy.user.id ?? 'an administrator'} on ${formatDate(reveals.at(-1)?.revealedDateTime)}.</div>`
          : nothing
      }
      ${open ? html`<div class="actions"><fluent-button ?disabled=${this.busy} @click=${() => this.cancel(action)}>Cancel reset</fluent-button></div>` : nothing}
    </li>`;
  }

  private passcode(action: ActionView, revealed: string | null | undefined): TemplateResult {
    if (revealed !== undefined) {
      return html`<div class="passcode">Passcode: ${
        revealed === null
          ? html`<em>not available (shown for 7 days, and never after a reset failed or was canceled)</em>`
          : html`<code class="secret" data-testid="passcode">${revealed}</code>`
      }</div>`;
    }
    if (this.revealing !== action.id) {
      return html`<div class="passcode">Passcode: <span aria-label="hidden">••••••••</span>
        <fluent-button size="small" @click=${() => {
          this.revealing = action.id;
          this.reason = '';
        }}>Reveal…</fluent-button></div>`;
    }
    return html`<form class="reveal" @submit=${(event: Event) => this.reveal(event, action)}>
      <p>Revealing the passcode is recorded in the audit log with your name and reason, and the device's user sees it.</p>
      <div class="field">
        <label for="reveal-reason-${action.id}">Reason for revealing the passcode</label>
        <input id="reveal-reason-${action.id}" required maxlength="200" .value=${this.reason} placeholder="e.g. Helpdesk ticket 4711: user locked out"
          @input=${(event: Event) => {
            this.reason = (event.target as HTMLInputElement).value;
          }}>
      </div>
      <div class="actions">
        <fluent-button appearance="primary" ?disabled=${!this.reason.trim() || this.busy} @click=${(event: Event) => this.reveal(event, action)}>Reveal passcode</fluent-button>
        <fluent-button @click=${() => {
          this.revealing = undefined;
        }}>Cancel</fluent-button>
      </div>
    </form>`;
  }
}

customElements.define('pr-device-detail', DeviceDetailPage);
