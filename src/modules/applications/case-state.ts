import type { CaseState } from './applications.tables.ts';

/** What can happen to a case, and by whom: the applicant's side or the handling org's. */
export type CaseAction = 'submit' | 'accept' | 'start_review' | 'return' | 'resubmit' | 'approve' | 'reject' | 'complete';

export const APPLICANT_ACTIONS: ReadonlySet<CaseAction> = new Set(['submit', 'resubmit']);

/** The state machine: draft → submitted → accepted → in review → (returned → resubmitted) → approved | rejected → completed. */
const TRANSITIONS: Record<CaseAction, { from: readonly CaseState[]; to: CaseState }> = {
  submit: { from: ['draft'], to: 'submitted' },
  accept: { from: ['submitted'], to: 'accepted' },
  start_review: { from: ['accepted'], to: 'in_review' },
  return: { from: ['submitted', 'accepted', 'in_review'], to: 'returned' },
  resubmit: { from: ['returned'], to: 'submitted' },
  // A village reviewer on a phone may decide straight from the queue; the history shows it.
  approve: { from: ['submitted', 'accepted', 'in_review'], to: 'approved' },
  reject: { from: ['submitted', 'accepted', 'in_review'], to: 'rejected' },
  complete: { from: ['approved'], to: 'completed' },
};

export const OPEN_STATES: readonly CaseState[] = ['submitted', 'accepted', 'in_review'];
export const FINAL_STATES: readonly CaseState[] = ['rejected', 'completed'];

export function nextState(state: CaseState, action: CaseAction): CaseState | null {
  const t = TRANSITIONS[action];
  return t.from.includes(state) ? t.to : null;
}

export function actionsFrom(state: CaseState): CaseAction[] {
  return (Object.keys(TRANSITIONS) as CaseAction[]).filter((a) => TRANSITIONS[a].from.includes(state));
}

export const STATE_LABELS: Record<CaseState, { zh: string; en: string }> = {
  draft: { zh: '草稿', en: 'draft' },
  submitted: { zh: '已提交', en: 'submitted' },
  accepted: { zh: '已受理', en: 'accepted' },
  in_review: { zh: '审核中', en: 'in review' },
  returned: { zh: '退回补正', en: 'returned for correction' },
  approved: { zh: '审核通过', en: 'approved' },
  rejected: { zh: '不予通过', en: 'rejected' },
  completed: { zh: '已办结', en: 'completed' },
};

export const ACTION_LABELS: Record<CaseAction, { zh: string; en: string }> = {
  submit: { zh: '提交', en: 'submit' },
  accept: { zh: '受理', en: 'accept' },
  start_review: { zh: '开始审核', en: 'start review' },
  return: { zh: '退回补正', en: 'return for correction' },
  resubmit: { zh: '补正后重新提交', en: 'resubmit' },
  approve: { zh: '审核通过', en: 'approve' },
  reject: { zh: '不予通过', en: 'reject' },
  complete: { zh: '办结', en: 'complete' },
};
