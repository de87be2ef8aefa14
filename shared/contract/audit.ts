import { z } from 'zod';
import { AUDIT_ACTIVITIES, AUDIT_RESULTS } from '../domain/audit.js';
import { collectionOf, selectionOf } from './graph.js';

export { AUDIT_ACTIVITIES, AUDIT_RESULTS };

export const PIN_RESET_EVENT_PROPERTIES = [
  'id',
  'activityDateTime',
  'activity',
  'result',
  'resultReason',
  'initiatedBy',
  'targetResources',
  'correlationId',
] as const;

const identitySchema = z.object({ id: z.string(), userPrincipalName: z.string().optional(), displayName: z.string().optional() });

export const auditInitiatorSchema = z
  .union([z.object({ user: identitySchema }), z.object({ device: identitySchema }), z.object({ app: identitySchema })])
  .meta({ id: 'pinResetEventInitiator' });

export const auditTargetSchema = z.object({ id: z.string(), type: z.string(), displayName: z.string().optional() }).meta({ id: 'pinResetEventTarget' });

export const pinResetEventSchema = z
  .object({
    id: z.string(),
    activityDateTime: z.string(),
    activity: z.enum(AUDIT_ACTIVITIES),
    result: z.enum(AUDIT_RESULTS),
    resultReason: z.string().nullable(),
    initiatedBy: auditInitiatorSchema,
    targetResources: z.array(auditTargetSchema),
    correlationId: z.string(),
  })
  .meta({ id: 'pinResetEvent' });
export type PinResetEvent = z.infer<typeof pinResetEventSchema>;

export const pinResetEventCollectionSchema = collectionOf(selectionOf(pinResetEventSchema, 'pinResetEventSelection'), 'pinResetEventCollection');
