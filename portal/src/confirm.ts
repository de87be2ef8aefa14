import { html, nothing, type TemplateResult } from 'lit';
import { PortalElement } from './ui.js';

let nextId = 0;

/**
 * A confirmation that names the consequence and, for what cannot be undone, makes the admin type a
 * word before the action button works. Fires `confirm` (and `cancel`).
 */
export class ConfirmPanel extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    heading: {},
    consequence: {},
    expected: {},
    actionLabel: {},
    danger: { type: Boolean },
    typed: { state: true },
  };
  declare heading: string;
  declare consequence: string;
  /** What the admin must type; empty = a plain confirmation. */
  declare expected: string;
  declare actionLabel: string;
  declare danger: boolean;
  declare typed: string;
  private readonly inputId = `confirm-input-${++nextId}`;

  constructor() {
    super();
    this.heading = 'Are you sure?';
    this.consequence = '';
    this.expected = '';
    this.actionLabel = 'Confirm';
    this.danger = false;
    this.typed = '';
  }

  override firstUpdated(): void {
    (this.querySelector('input') ?? this.querySelector('fluent-button'))?.focus();
  }

  private get typedMatches(): boolean {
    return this.expected === '' || this.typed.trim() === this.expected;
  }

  private confirm(event: Event) {
    event.preventDefault();
    if (!this.typedMatches) return;
    this.dispatchEvent(new CustomEvent('confirm', { bubbles: true }));
  }

  override render(): TemplateResult {
    return html`<form class="confirm ${this.danger ? 'danger' : ''}" role="group" aria-labelledby="${this.inputId}-title" @submit=${this.confirm}>
      <h3 id="${this.inputId}-title">${this.heading}</h3>
      <p>${this.consequence}</p>
      ${
        this.expected
          ? html`<label for=${this.inputId}>Type <strong>${this.expected}</strong> to confirm</label>
            <input id=${this.inputId} autocomplete="off" spellcheck="false" .value=${this.typed} @input=${(event: Event) => {
              this.typed = (event.target as HTMLInputElement).value;
            }}>`
          : nothing
      }
      <div class="actions">
        <fluent-button type="button" appearance="primary" class=${this.danger ? 'danger' : ''} ?disabled=${!this.typedMatches} @click=${this.confirm}>${this.actionLabel}</fluent-button>
        <fluent-button type="button" @click=${() => this.dispatchEvent(new CustomEvent('cancel', { bubbles: true }))}>Cancel</fluent-button>
      </div>
    </form>`;
  }
}

customElements.define('pr-confirm', ConfirmPanel);
