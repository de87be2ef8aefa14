import { html, nothing, type TemplateResult } from 'lit';
import type { z } from 'zod';
import { GraphError } from '../api.js';
import { tenantSettingsPatchSchema } from '../../../shared/contract/settings.js';
import { validatePinComplexity } from '../../../shared/domain/pin-policy.js';
import type { CharacterUsage, PinComplexity, TenantSettings, TenantSettingsPatch } from '../types.js';
import { errorBanner, loading, PortalElement, successBanner, type PageContext } from '../ui.js';

const USAGE_FIELDS = [
  ['pinDigitsUsage', 'Digits'],
  ['pinLowercaseCharactersUsage', 'Lowercase letters'],
  ['pinUppercaseCharactersUsage', 'Uppercase letters'],
  ['pinSpecialCharactersUsage', 'Special characters'],
] as const;
const USAGES: readonly CharacterUsage[] = ['allowed', 'required', 'disallowed'];
const CLOUDS = [
  ['public', 'Microsoft Azure (public)'],
  ['usGovernment', 'Azure US Government'],
  ['china', 'Microsoft Azure operated by 21Vianet (China)'],
] as const;

/** What each field is called on this page: messages name the field the admin sees, not the API property. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  pinMinimumLength: 'Minimum length',
  pinMaximumLength: 'Maximum length',
  ...Object.fromEntries(USAGE_FIELDS),
  webSignInAllowedUrls: 'Allowed sign-in host names',
  cloud: 'Cloud',
  protectorKeyRotationDays: 'Protector key rotation period',
};

/** An API message in the page's words: `pinMinimumLength (10) …` becomes `Minimum length (10) …`. */
function inPageWords(message: string): string {
  return message.replace(/\b[a-zA-Z]+\b/g, (word) => FIELD_LABELS[word] ?? word);
}

/** A zod issue of the settings contract as a sentence about the field, e.g. `Minimum length must be at least 4.` */
function issueMessage(issue: z.core.$ZodIssue, field: string, value: unknown): string {
  const label = FIELD_LABELS[field.split('.').at(-1) ?? field] ?? field;
  if (field === 'webSignInAllowedUrls' && typeof value === 'string') return `'${value}' ${issue.message}.`;
  if (issue.code === 'too_small') return `${label} must be at least ${String(issue.minimum)}.`;
  if (issue.code === 'too_big') return `${label} must be at most ${String(issue.maximum)}.`;
  if (issue.code === 'invalid_type' && (typeof value === 'number' || value === undefined)) return `${label} must be a whole number.`;
  return `${label}: ${issue.message}.`;
}

interface Draft {
  pinComplexity: PinComplexity;
  webSignInAllowedUrls: string;
  cloud: TenantSettings['cloud'];
  protectorKeyRotationDays: string;
}

/**
 * The tenant's settings. Validation runs the API's own rules (shared/domain) before sending, and the
 * PATCH carries If-Match with the ETag the form was loaded with, so nobody overwrites a change they
 * have not seen (412).
 */
export class SettingsPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    draft: { state: true },
    etag: { state: true },
    problems: { state: true },
    notice: { state: true },
    stale: { state: true },
  };
  declare context: PageContext;
  declare draft: Draft | undefined;
  declare etag: string | undefined;
  declare problems: Record<string, string>;
  declare notice: string | undefined;
  declare stale: boolean;

  constructor() {
    super();
    this.draft = undefined;
    this.etag = undefined;
    this.problems = {};
    this.notice = undefined;
    this.stale = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private get path(): string {
    return `/v1.0/organization/${this.context.tenantId}/pinResetSettings`;
  }

  private async load(): Promise<void> {
    this.stale = false;
    await this.run(async () => {
      const response = await this.context.api.call<TenantSettings>('GET', this.path);
      this.accept(response.body, response.headers.get('etag'));
    });
  }

  private accept(settings: TenantSettings, etag: string | null): void {
    this.etag = etag ?? undefined;
    this.problems = {};
    this.draft = {
      pinComplexity: { ...settings.pinComplexity },
      webSignInAllowedUrls: settings.webSignInAllowedUrls.join('\n'),
      cloud: settings.cloud,
      protectorKeyRotationDays: String(settings.protectorKeyRotationDays),
    };
  }

  /**
   * The API's own rules, run here before sending: the PATCH body schema of the settings contract and
   * the PIN complexity rules of shared/domain/pin-policy (which the service applies after merging).
   */
  private validate(draft: Draft): { problems: Record<string, string>; body: TenantSettingsPatch } {
    const problems: Record<string, string> = {};
    const body: TenantSettingsPatch = {
      pinComplexity: draft.pinComplexity,
      webSignInAllowedUrls: draft.webSignInAllowedUrls
        .split(/[\s,;]+/)
        .map((host) => host.trim())
        .filter(Boolean),
      cloud: draft.cloud,
      protectorKeyRotationDays: Number(draft.protectorKeyRotationDays),
    };
    const parsed = tenantSettingsPatchSchema.safeParse(body);
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      const field = issue.path.filter((part) => typeof part === 'string').join('.');
      const value = issue.path.reduce<unknown>((node, part) => (node as Record<PropertyKey, unknown> | undefined)?.[part as PropertyKey], body);
      problems[field] ??= issueMessage(issue, field, value);
    }
    for (const violation of validatePinComplexity(draft.pinComplexity)) problems[violation.field] ??= inPageWords(violation.message);
    return { problems, body };
  }

  private async save(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.draft) return;
    this.notice = undefined;
    const { problems, body } = this.validate(this.draft);
    this.problems = problems;
    if (Object.keys(problems).length > 0) {
      this.updateComplete.then(() => (this.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus());
      return;
    }
    await this.run(async () => {
      try {
        const response = await this.context.api.call<TenantSettings>('PATCH', this.path, { body, headers: this.etag ? { 'If-Match': this.etag } : {} });
        this.accept(response.body, response.headers.get('etag'));
        this.notice = 'Settings saved. Devices get the new PIN complexity with the client policy (download it again from the overview).';
      } catch (error) {
        if (error instanceof GraphError && error.status === 412) this.stale = true;
        throw error;
      }
    });
  }

  private setComplexity<K extends keyof PinComplexity>(field: K, value: PinComplexity[K]): void {
    if (!this.draft) return;
    this.draft = { ...this.draft, pinComplexity: { ...this.draft.pinComplexity, [field]: value } };
  }

  /** A field's message, placed under the row of fields (not inside the field), so that it never widens the field and pushes its neighbours aside. */
  private problem(field: string): TemplateResult | typeof nothing {
    const message = this.problems[field];
    return message ? html`<div class="field-error" id="error-${field.replace(/\./g, '-')}">${message}</div>` : nothing;
  }

  private invalid(field: string): string {
    return this.problems[field] ? 'true' : 'false';
  }

  private describedBy(field: string, help?: string): string {
    return [this.problems[field] ? `error-${field.replace(/\./g, '-')}` : '', help ?? ''].filter(Boolean).join(' ');
  }

  override render(): TemplateResult {
    return html`<h1>Settings</h1>
      ${
        this.stale
          ? errorBanner(
              this.error,
              html`<p>Someone else changed these settings after you opened this page, so your change was not applied
            (the <code>If-Match</code> ETag no longer matches). Reload to see the current settings, then make your change again.</p>
            <fluent-button @click=${() => this.load()}>Reload settings</fluent-button>`,
            )
          : errorBanner(this.error)
      }
      ${successBanner(this.notice)}
      ${this.draft ? this.form(this.draft) : this.busy ? loading() : nothing}`;
  }

  private form(draft: Draft): TemplateResult {
    const pin = draft.pinComplexity;
    return html`<form class="card settings" @submit=${this.save} novalidate>
      <fieldset>
        <legend>PIN complexity</legend>
        <p class="muted" id="pin-help">What a passcode from a reset must satisfy, and what the client policy sets on devices.</p>
        <div class="field-row">
          <div class="field">
            <label for="pin-min">Minimum length</label>
            <input id="pin-min" type="number" inputmode="numeric" min="4" max="127" .value=${String(pin.pinMinimumLength)}
              aria-invalid=${this.invalid('pinComplexity.pinMinimumLength')} aria-describedby=${this.describedBy('pinComplexity.pinMinimumLength', 'pin-help')}
              @input=${(event: Event) => this.setComplexity('pinMinimumLength', Number((event.target as HTMLInputElement).value))}>
          </div>
          <div class="field">
            <label for="pin-max">Maximum length</label>
            <input id="pin-max" type="number" inputmode="numeric" min="4" max="127" .value=${String(pin.pinMaximumLength)}
              aria-invalid=${this.invalid('pinComplexity.pinMaximumLength')} aria-describedby=${this.describedBy('pinComplexity.pinMaximumLength')}
              @input=${(event: Event) => this.setComplexity('pinMaximumLength', Number((event.target as HTMLInputElement).value))}>
          </div>
        </div>
        ${this.problem('pinComplexity.pinMinimumLength')} ${this.problem('pinComplexity.pinMaximumLength')}
        <div class="field-row">
          ${USAGE_FIELDS.map(
            ([field, label]) => html`<div class="field">
            <label for="usage-${field}">${label}</label>
            <select id="usage-${field}" aria-invalid=${this.invalid(`pinComplexity.${field}`)} aria-describedby=${this.describedBy(`pinComplexity.${field}`)}
              @change=${(event: Event) => this.setComplexity(field, (event.target as HTMLSelectElement).value as CharacterUsage)}>
              ${USAGES.map((usage) => html`<option value=${usage} ?selected=${pin[field] === usage}>${usage}</option>`)}
            </select>
          </div>`,
          )}
        </div>
        ${USAGE_FIELDS.map(([field]) => this.problem(`pinComplexity.${field}`))}
        ${this.problem('pinComplexity')}
        <details class="explain">
          <summary>A device reported <code>InvalidPinTooFewCharacters</code>?</summary>
          <p>The device's own Windows Hello for Business PIN policy is stricter than these settings: it wants a longer PIN
            than the minimum length here, so it refused the passcode the service generated. Set the minimum length to at least
            the device's MinimumPINLength (for example, the tenant says 6 and the device 10: set 10), save, and reset the
            passcode again. The same holds for the other failures: make these settings match the policy the devices really
            have (deploy the client policy from the overview so they stay in step).</p>
        </details>
      </fieldset>
      <fieldset>
        <legend>Web sign-in</legend>
        <div class="field">
          <label for="web-sign-in">Allowed sign-in host names, one per line</label>
          <textarea id="web-sign-in" rows="3" placeholder="signin.contoso.com" .value=${draft.webSignInAllowedUrls}
            aria-invalid=${this.invalid('webSignInAllowedUrls')} aria-describedby=${this.describedBy('webSignInAllowedUrls', 'web-help')}
            @input=${(event: Event) => {
              this.draft = { ...draft, webSignInAllowedUrls: (event.target as HTMLTextAreaElement).value };
            }}></textarea>
          <div class="muted" id="web-help">Federated identity provider hosts the PIN reset page on the device may navigate to (ConfigureWebSignInAllowedUrls).</div>
          ${this.problem('webSignInAllowedUrls')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Cloud and keys</legend>
        <div class="field-row">
          <div class="field">
            <label for="cloud">Cloud</label>
            <select id="cloud" @change=${(event: Event) => {
              this.draft = { ...draft, cloud: (event.target as HTMLSelectElement).value as TenantSettings['cloud'] };
            }}>
              ${CLOUDS.map(([value, label]) => html`<option value=${value} ?selected=${draft.cloud === value}>${label}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="rotation">Protector key rotation period (days)</label>
            <input id="rotation" type="number" inputmode="numeric" min="1" max="3650" .value=${draft.protectorKeyRotationDays}
              aria-invalid=${this.invalid('protectorKeyRotationDays')} aria-describedby=${this.describedBy('protectorKeyRotationDays')}
              @input=${(event: Event) => {
                this.draft = { ...draft, protectorKeyRotationDays: (event.target as HTMLInputElement).value };
              }}>
          </div>
        </div>
        ${this.problem('protectorKeyRotationDays')}
      </fieldset>
      <div class="actions">
        <fluent-button appearance="primary" ?disabled=${this.busy} @click=${(event: Event) => this.save(event)}>Save settings</fluent-button>
        <fluent-button ?disabled=${this.busy} @click=${() => this.load()}>Discard changes</fluent-button>
      </div>
    </form>`;
  }
}

customElements.define('pr-settings', SettingsPage);
