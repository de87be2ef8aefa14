/**
 * Shapes every Graph-style resource shares: the error envelope, collections, `$select` projections.
 * Each resource's own contract module builds on these.
 */
import { z } from 'zod';

/** Graph's error envelope: the body of every error answer. */
export const graphErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('A stable code to match on, e.g. Request_ResourceNotFound.'),
      message: z.string(),
      innerError: z.object({
        date: z.string().describe('ISO-8601 UTC.'),
        'request-id': z.string(),
        'client-request-id': z.string(),
      }),
    }),
  })
  .meta({ id: 'graphError', description: "Microsoft Graph's error envelope." });
export type GraphErrorEnvelope = z.infer<typeof graphErrorSchema>;

const odataContext = z.string().describe('<base>/v1.0/$metadata#<set>(<selected>)');

/** A Graph collection page of `item`; `@odata.nextLink` is absent on the last page (never null). */
export function collectionOf<T extends z.ZodType>(item: T, id: string, description?: string) {
  return z
    .object({
      '@odata.context': odataContext.optional(),
      '@odata.nextLink': z.string().optional().describe('The next page; absent on the last page.'),
      value: z.array(item),
    })
    .meta({ id, ...(description ? { description } : {}) });
}

/** A single Graph entity answer: the entity's properties plus `@odata.context`. */
export function entityOf<Shape extends z.ZodRawShape>(entity: z.ZodObject<Shape>, id: string) {
  return entity.extend({ '@odata.context': odataContext.optional() }).meta({ id });
}

/**
 * The same entity as an answer to a request that may carry `$select`: every property may be dropped,
 * so none is required (a selected property the entity lacks is `null`).
 */
export function selectionOf<Shape extends z.ZodRawShape>(entity: z.ZodObject<Shape>, id: string) {
  return entity.partial().meta({ id, description: `Properties not named by $select are absent.` });
}

/** A Graph collection as clients read it. */
export interface Collection<T> {
  '@odata.context'?: string | undefined;
  '@odata.nextLink'?: string | undefined;
  value: T[];
}
