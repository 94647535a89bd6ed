/** The benefits module's public surface: other modules import from here only (npm run boundaries). */
export {
  BENEFIT_DEFS,
  CHILDCARE_SUBSIDY,
  DEATH_REGISTRATION,
  MATERNITY_ALLOWANCE,
  MATERNITY_MEDICAL,
  OLD_AGE_ALLOWANCE,
} from './benefit-defs.ts';
export { type BenefitNotice, type BenefitPaymentInstruction, type NoticePort, type PaymentPort } from './benefits-context.ts';
export { benefitsRoutes } from './benefits.routes.ts';
export { type BenefitsService, createBenefitsService } from './benefits.service.ts';
export { seedBenefits } from './benefits.seed.ts';
