/** The applications module's public surface: other modules import from here only (npm run boundaries). */
export { applicationsRoutes } from './applications.routes.ts';
export { type ApplicationsService, type CaseRuleDecision, createApplicationsService } from './applications.service.ts';
export { type ApprovedCase, type BatchDecisionResult } from './batch-decisions.ts';
export { type CaseSummary, readCaseSummaries } from './case-summaries.ts';
export { overviewRoutes } from './overview.routes.ts';
export { type OverviewService, createOverviewService } from './overview.ts';
export { type CaseDurationsQuery, type ServiceDurations, earliestSubmission, readCaseDurations } from './case-durations.ts';
export { type HistoricalCase, importCaseHistory } from './case-history.ts';
export { type CaseClock, caseClock, readCaseClocks } from './sla-clock.ts';
export { type EscalationRecord, CASE_ESCALATED_TOPIC } from './sla-escalation.ts';
export { type LadderStep, DEFAULT_LADDER, parseLadder } from './sla-ladders.ts';
