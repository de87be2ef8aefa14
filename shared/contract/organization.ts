import { z } from 'zod';
import { collectionOf, entityOf, selectionOf } from './graph.js';

export const ORGANIZATION_PROPERTIES = ['id', 'displayName', 'verifiedDomains', 'tenantType', 'createdDateTime'] as const;

export const verifiedDomainSchema = z
  .object({
    capabilities: z.string(),
    isDefault: z.boolean(),
    isInitial: z.boolean(),
    name: z.string(),
    type: z.string(),
  })
  .meta({ id: 'verifiedDomain' });

/** Graph's organization as this service exposes it; before onboarding only `id` is known (the rest null). */
export const organizationSchema = z
  .object({
    id: z.string(),
    displayName: z.string().nullable(),
    verifiedDomains: z.array(verifiedDomainSchema).nullable(),
    tenantType: z.string().nullable(),
    createdDateTime: z.string().nullable(),
  })
  .meta({ id: 'organization' });
export type Organization = z.infer<typeof organizationSchema>;

const organizationSelectionSchema = selectionOf(organizationSchema, 'organizationSelection');
export const organizationCollectionSchema = collectionOf(organizationSelectionSchema, 'organizationCollection');
export const organizationEntitySchema = entityOf(organizationSelectionSchema, 'organizationEntity');
