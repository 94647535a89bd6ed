/** Case states: their tag colours and the states a queue filters by. */
import type { CaseState } from '../shared/api.ts';

export const STATE_COLOR: Record<CaseState, string> = {
  draft: 'default',
  submitted: 'blue',
  accepted: 'cyan',
  in_review: 'geekblue',
  returned: 'orange',
  approved: 'green',
  rejected: 'red',
  completed: 'green',
};

export const STATES: { value: CaseState; zh: string; en: string }[] = [
  { value: 'submitted', zh: '已提交', en: 'Submitted' },
  { value: 'accepted', zh: '已受理', en: 'Accepted' },
  { value: 'in_review', zh: '审核中', en: 'In review' },
  { value: 'returned', zh: '退回补正', en: 'Returned' },
  { value: 'approved', zh: '审核通过', en: 'Approved' },
  { value: 'rejected', zh: '不予通过', en: 'Rejected' },
  { value: 'completed', zh: '已办结', en: 'Completed' },
];
