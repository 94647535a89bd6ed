/** The rules module's public surface: other modules import from here only (npm run boundaries). */
export { rulesRoutes } from './rules.routes.ts';
export { type RulesService, createRulesService } from './rules.service.ts';
export { type RuleDecision, type SubjectRecords } from './evaluate.ts';
export { seedRules } from './rules.seed.ts';
export { seedInsuranceServices } from './insurance-rules.seed.ts';
