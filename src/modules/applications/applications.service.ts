import { createApplicationsContext, type ApplicationsDeps } from './context.ts';
import { createSubmitFunctions } from './submit.ts';
import { createDecisionFunctions } from './decide.ts';
import { createCaseReadFunctions } from './case-reads.ts';
import { createSlaFunctions } from './sla.ts';
import { createSlaReminderFunctions } from './sla-reminders.ts';

export type {
  ApplicationsDeps,
  ApprovalHook,
  CaseDetail,
  CaseOrgDirectory,
  CaseRuleDecision,
  CaseView,
  ResidentDirectory,
} from './context.ts';
export { formatCaseNo } from './context.ts';
export type { SubmitInput } from './submit.ts';
export type { StaffAction } from './decide.ts';
export type { HelperAct, QueueInput } from './case-reads.ts';
export type { EscalationNotice, LadderView } from './sla.ts';
export type { Reminder, ReminderPage } from './sla-reminders.ts';

/**
 * The applications service, assembled from its use cases around one shared context
 * (context.ts): applying (submit.ts), deciding (decide.ts), reading cases (case-reads.ts) and
 * supervising them: the SLA clock's escalation ladders and sweep (sla.ts) and the staff's
 * reminders (sla-reminders.ts).
 */
export function createApplicationsService(deps: ApplicationsDeps) {
  const ctx = createApplicationsContext(deps);
  return {
    ...createSubmitFunctions(ctx),
    ...createDecisionFunctions(ctx),
    ...createCaseReadFunctions(ctx),
    ...createSlaFunctions(ctx),
    ...createSlaReminderFunctions(ctx),
  };
}

export type ApplicationsService = ReturnType<typeof createApplicationsService>;
