import { html, LitElement, nothing, type TemplateResult } from 'lit';
import type { Api } from './api.js';
import { GraphError } from './api.js';
import type { SignedInUser } from './auth.js';

/** What every page gets from the shell. */
export interface PageContext {
  api: Api;
  user: SignedInUser;
  tenantId: string;
  /** Client-side navigation to a route below /portal/ (e.g. `devices/<id>`). */
  navigate(route: string): void;
}

/**
 * Base of the admin center's elements: light DOM (one external style sheet styles everything, and
 * labels, headings and landmarks stay in one accessibility tree), an error slot and a busy flag.
 */
export class PortalElement extends LitElement {
  static override properties = { error: { state: true }, busy: { state: true } };
  declare error: unknown;
  declare busy: boolean;

  constructor() {
    super();
    this.error = undefined;
    this.busy = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Runs an action with the busy flag and the error banner handled. */
  protected async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = undefined;
    try {
      return await action();
    } catch (error) {
      this.error = error;
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}

/** An error banner that carries the Graph error's code, message and request id. */
export function errorBanner(error: unknown, extra?: TemplateResult): TemplateResult | typeof nothing {
  if (!error) return nothing;
  const graph = error instanceof GraphError ? error : undefined;
  const message = graph?.message ?? (error instanceof Error ? error.message : String(error));
  return html`<fluent-message-bar intent="error" layout="multiline" role="alert" class="banner">
    <div>
      <strong>${graph ? `${graph.code} (${graph.status})` : 'Something went wrong'}</strong>: ${message}
      ${graph?.requestId ? html`<div class="request-id">Request id: <code>${graph.requestId}</code></div>` : nothing}
      ${extra ?? nothing}
    </div>
  </fluent-message-bar>`;
}

export function successBanner(text: string | undefined): TemplateResult | typeof nothing {
  if (!text) return nothing;
  return html`<fluent-message-bar intent="success" role="status" class="banner">${text}</fluent-message-bar>`;
}

export function loading(label = 'Loading'): TemplateResult {
  return html`<div class="loading" role="status"><fluent-spinner size="small" aria-label=${label}></fluent-spinner> ${label}…</div>`;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const BADGE_COLORS: Readonly<Record<string, string>> = {
  active: 'success',
  done: 'success',
  success: 'success',
  pending: 'warning',
  serviceConsentPending: 'warning',
  clientConsentPending: 'warning',
  decryptOnly: 'warning',
  failed: 'danger',
  failure: 'danger',
  offboarded: 'subtle',
  retired: 'subtle',
  canceled: 'subtle',
  notStarted: 'informative',
};

export function stateBadge(state: string): TemplateResult {
  return html`<fluent-badge appearance="tint" color=${BADGE_COLORS[state] ?? 'informative'}>${state}</fluent-badge>`;
}

/** Saves text as a file through a temporary blob: link (no server round trip). */
export function download(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Where a paged list stands: the trail of page links read so far (the last is shown), and the next one. */
export interface PageTrail {
  pages: string[];
  nextLink: string | undefined;
  busy: boolean;
}

/** Previous/next buttons over `@odata.nextLink` paging; nothing when there is only one page. */
export function pager(label: string, trail: PageTrail, go: (pages: string[]) => void): TemplateResult | typeof nothing {
  if (trail.pages.length <= 1 && !trail.nextLink) return nothing;
  const next = trail.nextLink;
  return html`<nav class="pager" aria-label=${label}>
    ${trail.pages.length > 1 ? html`<fluent-button ?disabled=${trail.busy} @click=${() => go(trail.pages.slice(0, -1))}>Previous page</fluent-button>` : nothing}
    <span>Page ${trail.pages.length}</span>
    ${next ? html`<fluent-button ?disabled=${trail.busy} @click=${() => go([...trail.pages, next])}>Next page</fluent-button>` : nothing}
  </nav>`;
}
