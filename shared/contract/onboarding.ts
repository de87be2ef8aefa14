import { z } from 'zod';
import { ONBOARDING_STATES } from '../domain/tenant.js';

export { ONBOARDING_STATES };

export const onboardingApplicationSchema = z
  .object({
    appId: z.string(),
    displayName: z.string().nullable(),
    consented: z.boolean(),
    servicePrincipalId: z.string().nullable(),
    consentedDateTime: z.string().nullable(),
  })
  .meta({ id: 'pinResetOnboardingApplication' });
export type OnboardingApplication = z.infer<typeof onboardingApplicationSchema>;

export const onboardingStatusSchema = z
  .object({
    state: z.enum(ONBOARDING_STATES),
    serviceApplication: onboardingApplicationSchema,
    clientApplication: onboardingApplicationSchema,
    lastVerifiedDateTime: z.string().nullable(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'pinResetOnboarding' });
export type OnboardingStatus = z.infer<typeof onboardingStatusSchema>;
