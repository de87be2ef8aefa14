import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from '../domain/audit.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { AuditPage, AuditQuery, AuditRepository, StagedWrite } from '../storage/audit-repository.js';

/**
 * The one audit writer every feature uses. `record` throws if the event cannot be stored
 * (ServiceUnavailable); callers decide whether that fails the operation (security-relevant
 * operations such as decrypt fail closed). `writes` (rate-limit counter claims of the same tenant) are
 * stored in the same transaction as the event, or not at all.
 */
export class AuditLog {
  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(input: AuditEventInput, writes: readonly StagedWrite[] = []): Promise<AuditEvent> {
    const event: AuditEvent = {
      id: randomUUID(),
      tenantId: input.tenantId,
      activityDateTime: this.clock().toISOString(),
      activity: input.activity,
      result: input.result,
      resultReason: input.resultReason ?? null,
      initiatedBy: input.initiatedBy,
      targetResources: input.targetResources ?? [],
      correlationId: input.correlationId,
    };
    await this.repository.insert(event, writes);
    return event;
  }

  list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    return this.repository.list(tenantId, query);
  }
}
