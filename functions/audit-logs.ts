import { PIN_RESET_EVENT_PROPERTIES, pinResetEventCollectionSchema } from '../shared/contract/audit.js';
import { AUDIT_ACTIVITIES, type AuditActivity, type AuditEvent } from '../shared/domain/audit.js';
import { ServiceError } from '../shared/domain/errors.js';
import { continuationOf, graphCollection, nextLinkAfter } from '../shared/http/graph-responses.js';
import type { ODataSpec } from '../shared/http/odata.js';
import { defineOperation, userOf } from '../shared/http/pipeline.js';
import type { RouteDefinition } from '../shared/http/route-table.js';

export const DEFAULT_AUDIT_PAGE_SIZE = 100;

const auditOData: ODataSpec = {
  entityType: 'microsoft.graph.pinResetEvent',
  selectable: PIN_RESET_EVENT_PROPERTIES,
  top: true,
  skiptoken: true,
  filterable: {
    activityDateTime: { operators: ['ge'], type: 'dateTime' },
    activity: { operators: ['eq'], type: 'string', values: AUDIT_ACTIVITIES },
  },
};

function single(values: string[], property: string): string | undefined {
  if (values.length > 1) throw new ServiceError('Request_BadRequest', `Property '${property}' may appear only once in $filter.`);
  return values[0];
}

export const listPinResetEvents = defineOperation({
  operationId: 'pinResetEvents_list',
  summary: "The caller's tenant's audit events, newest first ($top, $filter on activityDateTime ge / activity eq, paging by @odata.nextLink).",
  tags: ['audit'],
  auth: 'admin',
  odata: auditOData,
  responses: { 200: { description: 'A page of audit events.', schema: pinResetEventCollectionSchema } },
  async handle(context) {
    const tenantId = userOf(context).tenantId;
    const { filter, top } = context.query;
    const since = single(
      filter.filter((clause) => clause.property === 'activityDateTime').map((clause) => clause.value),
      'activityDateTime',
    );
    const activity = single(
      filter.filter((clause) => clause.property === 'activity').map((clause) => clause.value),
      'activity',
    );
    const page = await context.services.audit.list(tenantId, {
      top: top ?? DEFAULT_AUDIT_PAGE_SIZE,
      // No event predates 1970: an earlier bound filters nothing out (and has no inverted-time row key).
      since: since !== undefined && Date.parse(since) < 0 ? undefined : since,
      activity: activity as AuditActivity | undefined,
      continuationToken: continuationOf(context),
    });
    const values = page.events.map(({ tenantId: _tenant, ...event }: AuditEvent) => event);
    return graphCollection(context, 'auditLogs/pinResetEvents', values, {
      nextLink: nextLinkAfter(context, page.continuationToken),
    });
  },
});

export const auditLogRoutes: RouteDefinition[] = [{ name: 'pinResetEvents', route: 'v1.0/auditLogs/pinResetEvents', methods: { GET: listPinResetEvents } }];
