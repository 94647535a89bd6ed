/** The rules module's public surface: other modules import from here only (npm run boundaries). */
export { type Outcome, type RuleDecision, type RuleTrace, type SubjectRecords } from './evaluate.ts';
export { type CompiledRule, type RuleBody, compileRule } from './rule-language.ts';
export { rulesRoutes } from './rules.routes.ts';
export { type RulesService, createRulesService } from './rules.service.ts';
