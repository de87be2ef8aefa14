import { html, type TemplateResult } from 'lit';
import { AUDIT_ACTIVITIES } from '../../../shared/domain/audit.js';
import type { AuditEvent, Collection } from '../types.js';
import { download, errorBanner, formatDate, loading, PortalElement, pager, stateBadge, type PageContext } from '../ui.js';

/** The activities the service records (the audit contract's list). */
const ACTIVITIES: readonly string[] = AUDIT_ACTIVITIES;
const PAGE_SIZE = 50;
type Event = AuditEvent;

function initiatorOf(event: Event): string {
  const [kind, who] = Object.entries(event.initiatedBy)[0] ?? [];
  if (!kind || !who) return '—';
  return `${who.userPrincipalName ?? who.displayName ?? who.id ?? ''} (${kind})`;
}

function targetsOf(event: Event): string {
  return event.targetResources.map((target) => `${target.type} ${target.displayName ?? target.id}`.trim()).join(', ');
}

function csvCell(value: string): string {
  // Quote everything; a leading = + - @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** `datetime-local` value (the admin's local time) → ISO UTC, or undefined. */
function isoOf(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The audit log. Activity and the start of the range are the service's own `$filter`; the result and
 * the end of the range are applied to each page here (the API filters on neither), so a page can be
 * shorter than the page size.
 */
export class AuditPage extends PortalElement {
  static override properties = {
    ...PortalElement.properties,
    context: { attribute: false },
    params: { attribute: false },
    events: { state: true },
    pages: { state: true },
    nextLink: { state: true },
    exporting: { state: true },
  };
  declare context: PageContext;
  declare params: URLSearchParams;
  declare events: Event[] | undefined;
  declare pages: string[];
  declare nextLink: string | undefined;
  declare exporting: boolean;

  constructor() {
    super();
    this.params = new URLSearchParams();
    this.events = undefined;
    this.pages = [];
    this.nextLink = undefined;
    this.exporting = false;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params')) {
      this.pages = [this.firstPage(PAGE_SIZE)];
      void this.load();
    }
  }

  private firstPage(top: number): string {
    const filters: string[] = [];
    const activity = this.params.get('activity');
    if (activity && ACTIVITIES.includes(activity)) filters.push(`activity eq '${activity}'`);
    const from = isoOf(this.params.get('from'));
    if (from) filters.push(`activityDateTime ge ${from}`);
    const query = new URLSearchParams({ $top: String(top) });
    if (filters.length > 0) query.set('$filter', filters.join(' and '));
    return `/v1.0/auditLogs/pinResetEvents?${query}`;
  }

  private keep(events: Event[]): Event[] {
    const result = this.params.get('result');
    const to = isoOf(this.params.get('to'));
    return events.filter((event) => (!result || event.result === result) && (!to || event.activityDateTime <= to));
  }

  private relative(link: string | undefined): string | undefined {
    if (!link) return undefined;
    const url = new URL(link);
    return url.pathname + url.search;
  }

  private async load(): Promise<void> {
    const path = this.pages.at(-1) ?? this.firstPage(PAGE_SIZE);
    await this.run(async () => {
      const page = await this.context.api.get<Collection<Event>>(path);
      this.events = this.keep(page.value);
      this.nextLink = this.relative(page['@odata.nextLink']);
    });
  }

  /** Every event that matches the filters (all pages), as CSV. */
  private async exportCsv(): Promise<void> {
    this.exporting = true;
    await this.run(async () => {
      const rows: Event[] = [];
      let path: string | undefined = this.firstPage(999);
      while (path && rows.length < 50_000) {
        const page: Collection<Event> = await this.context.api.get<Collection<Event>>(path);
        rows.push(...this.keep(page.value));
        path = this.relative(page['@odata.nextLink']);
      }
      const header = ['activityDateTime', 'activity', 'result', 'resultReason', 'initiatedBy', 'targetResources', 'correlationId', 'id'];
      const lines = rows.map((event) =>
        [
          event.activityDateTime,
          event.activity,
          event.result,
          event.resultReason ?? '',
          initiatorOf(event),
          targetsOf(event),
          event.correlationId ?? '',
          event.id,
        ]
          .map((value) => csvCell(String(value)))
          .join(','),
      );
      download(`pin-reset-audit-${new Date().toISOString().slice(0, 10)}.csv`, `${[header.join(','), ...lines].join('\r\n')}\r\n`, 'text/csv');
    });
    this.exporting = false;
  }

  private applyFilters(event: SubmitEvent | MouseEvent): void {
    event.preventDefault();
    const form = (event.currentTarget as HTMLElement).closest('form');
    if (!form) return;
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of ['activity', 'result', 'from', 'to']) {
      const value = String(data.get(name) ?? '');
      if (value) query.set(name, value);
    }
    this.context.navigate(`audit${query.size ? `?${query}` : ''}`);
  }

  override render(): TemplateResult {
    return html`<h1>Audit log</h1>
      <form class="toolbar" aria-label="Filter the audit log" @submit=${this.applyFilters}>
        <div class="field">
          <label for="audit-activity">Activity</label>
          <select id="audit-activity" name="activity">
            <option value="">All activities</option>
            ${ACTIVITIES.map((activity) => html`<option value=${activity} ?selected=${this.params.get('activity') === activity}>${activity}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="audit-result">Result</label>
          <select id="audit-result" name="result">
            <option value="">Any result</option>
            <option value="success" ?selected=${this.params.get('result') === 'success'}>success</option>
            <option value="failure" ?selected=${this.params.get('result') === 'failure'}>failure</option>
          </select>
        </div>
        <div class="field">
          <label for="audit-from">From</label>
          <input id="audit-from" name="from" type="datetime-local" .value=${this.params.get('from') ?? ''}>
        </div>
        <div class="field">
          <label for="audit-to">To</label>
          <input id="audit-to" name="to" type="datetime-local" .value=${this.params.get('to') ?? ''}>
        </div>
        <fluent-button appearance="primary" @click=${this.applyFilters}>Apply</fluent-button>
        <fluent-button ?disabled=${this.exporting} @click=${() => this.exportCsv()}>${this.exporting ? 'Exporting…' : 'Export CSV'}</fluent-button>
      </form>
      ${errorBanner(this.error)}
      ${this.events ? this.table(this.events) : loading()}`;
  }

  private table(events: Event[]): TemplateResult {
    const pages = pager('Audit pages', this, (trail) => {
      this.pages = trail;
      void this.load();
    });
    if (events.length === 0) {
      return html`<section class="card empty" role="status"><h2>No events</h2>
        <p>${this.params.size > 0 ? 'No event on this page matches the filters. Widen them, or look at the next page.' : 'Nothing was recorded in this tenant yet.'}</p></section>
        ${pages}`;
    }
    return html`<div class="table-wrap card" tabindex="0" role="region" aria-label="Audit events">
      <table class="audit stack">
        <caption class="visually-hidden">Audit events, newest first</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Activity</th><th scope="col">Result</th><th scope="col">Initiated by</th><th scope="col">Target</th><th scope="col">Reason</th></tr></thead>
        <tbody>${events.map(
          (event) => html`<tr data-activity=${event.activity}>
          <td class="when" data-label="Time"><span>${formatDate(event.activityDateTime)}</span></td>
          <th scope="row" data-label="Activity"><span>${event.activity}</span></th>
          <td data-label="Result"><span>${stateBadge(event.result)}</span></td>
          <td class="break" data-label="Initiated by"><span>${initiatorOf(event)}</span></td>
          <td class="break" data-label="Target"><span>${targetsOf(event)}</span></td>
          <td class="break" data-label="Reason"><span>${event.resultReason ?? ''}</span></td>
        </tr>`,
        )}</tbody>
      </table>
    </div>
    ${pages}`;
  }
}

customElements.define('pr-audit', AuditPage);
