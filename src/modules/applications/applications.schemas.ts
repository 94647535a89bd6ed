import { Type } from '@sinclair/typebox';
import { CodeParam, ORG_CODE_PATTERN, PageQuery, Nullable, UuidParams } from '../../http/schemas.ts';
import { CASE_STATES } from './applications.tables.ts';
import { MAX_BATCH_DECISIONS } from './batch-decisions.ts';

const Label = Type.Object({ zh: Type.String(), en: Type.String() });
export const CaseStateSchema = Type.Union(CASE_STATES.map((s) => Type.Literal(s)));

export const CaseViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    caseNo: Type.String({ description: '办件编号' }),
    serviceCode: Type.String(),
    serviceName: Label,
    state: CaseStateSchema,
    stateLabel: Label,
    channel: Type.String(),
    orgCode: Type.String(),
    applicantId: Type.String(),
    helperId: Nullable(Type.String()),
    form: Type.Record(Type.String(), Type.String()),
    submittedAt: Nullable(Type.String()),
    dueDate: Nullable(Type.String({ description: '承诺办结日期（按工作日计算）' })),
    overdue: Type.Boolean(),
    decidedAt: Nullable(Type.String()),
    completedAt: Nullable(Type.String()),
    returnReason: Nullable(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'CaseView', title: 'CaseView' },
);

/** 秒批: what an instant-approval rule decided on the case, and why (staff only). */
export const CaseRuleDecisionSchema = Type.Object(
  {
    rule: Type.String(),
    version: Type.Integer(),
    hash: Type.String({ description: 'The rule version hash, as its ledger leaf has it' }),
    outcome: Type.Union([Type.Literal('eligible'), Type.Literal('ineligible'), Type.Literal('undetermined')]),
    on: Type.String({ description: 'The date the rule was applied on (China)' }),
    inputs: Type.Array(Type.Object({ name: Type.String(), dataset: Type.String(), field: Type.String(), digest: Nullable(Type.String()) })),
    failed: Type.Array(Type.Object({ id: Type.String(), zh: Type.String(), en: Type.String() })),
    missing: Type.Array(Type.String(), { description: 'Inputs the data did not hold' }),
    unavailable: Type.Array(Type.Object({ dataset: Type.String(), reason: Label }), {
      description: 'Datasets not read for the case, and why (no law-based grant, department down)',
    }),
    decidedAt: Type.String(),
  },
  { $id: 'CaseRuleDecision', title: 'CaseRuleDecision' },
);

const LadderStepSchema = Type.Object({
  offset: Type.Integer({ description: 'Working days from the due date: −1 the due day, 0 once overdue, N that many working days later' }),
  levelsUp: Type.Integer({ description: '0 the handling org (a reminder), 1 the org above, 2 the one above that …' }),
});

export const EscalationSchema = Type.Object({
  step: Type.Integer(),
  offset: Type.Integer(),
  levelsUp: Type.Integer(),
  toOrgCode: Type.String({ description: 'The org notified' }),
  dueDate: Type.String({ description: 'The due date the step was counted from' }),
  at: Type.String(),
});

/** 办理时限: the case's SLA clock in working days (sla-clock.ts) and the escalation steps taken. */
export const CaseSlaSchema = Type.Object(
  {
    workingDays: Type.Integer({ description: 'Working days the clock has run, pauses for correction left out' }),
    pausedWorkingDays: Type.Integer({ description: 'Working days paused while returned for correction (补正)' }),
    paused: Type.Boolean(),
    dueDate: Nullable(Type.String({ description: 'The due date, moved by the pauses' })),
    overdue: Type.Boolean(),
    onTime: Nullable(Type.Boolean({ description: 'Decided by the due date (按时办结); null while undecided' })),
    limitWorkingDays: Nullable(Type.Integer({ description: "The service's promised limit in working days (承诺时限)" })),
    pauses: Type.Array(
      Type.Object({
        from: Type.String({ description: 'Returned for correction (退回补正)' }),
        to: Nullable(Type.String({ description: 'Resubmitted; null while the applicant is correcting' })),
        workingDays: Type.Integer(),
      }),
      { description: 'The periods the clock was paused for correction (补正)' },
    ),
    escalations: Type.Array(EscalationSchema),
  },
  { $id: 'CaseSla', title: 'CaseSla' },
);

export const LadderSchema = Type.Object(
  {
    orgCode: Type.String(),
    steps: Type.Array(LadderStepSchema),
    setAt: Nullable(Type.String({ description: 'The org whose ladder applies (this one or one above); null: the default ladder' })),
  },
  { $id: 'SlaLadder', title: 'SlaLadder' },
);

// The body is checked by the service (parseLadder), so that a bad ladder gets SLA_LADDER_INVALID with the step at fault.
export const LadderBody = Type.Object({ steps: Type.Unknown({ description: '1 to 8 steps of { offset, levelsUp }' }) });

export const EscalationNoticeSchema = Type.Object(
  {
    caseId: Type.String({ format: 'uuid' }),
    caseNo: Type.String(),
    serviceCode: Type.String(),
    orgCode: Type.String({ description: 'The org handling the case' }),
    step: Type.Integer(),
    offset: Type.Integer(),
    levelsUp: Type.Integer(),
    dueDate: Type.String(),
    at: Type.String(),
  },
  { $id: 'EscalationNotice', title: 'EscalationNotice' },
);

/** 催办 / 督办: an escalation step as the staff it is addressed to see it (sla-reminders.ts). */
export const ReminderSchema = Type.Object(
  {
    id: Type.Integer({ description: 'The escalation step; what "seen" marks' }),
    caseId: Type.String({ format: 'uuid' }),
    caseNo: Type.String(),
    serviceName: Label,
    orgCode: Type.String({ description: 'The org handling the case' }),
    orgName: Type.String(),
    toOrgCode: Type.String({ description: 'The org the step went to' }),
    toOrgName: Type.String(),
    kind: Type.Union([Type.Literal('remind'), Type.Literal('escalate')], {
      description: 'remind: to the handling org (催办); escalate: to an org above it (督办)',
    }),
    step: Type.Integer({ description: 'The rung of the ladder, from 1' }),
    offset: Type.Integer(),
    levelsUp: Type.Integer(),
    dueDate: Type.String({ description: 'The due date the step was counted from' }),
    overdueWorkingDays: Type.Integer({ description: 'Working days past the due date (to today, the return or the decision)' }),
    state: CaseStateSchema,
    stateLabel: Label,
    at: Type.String({ description: 'When the step was taken' }),
    seenAt: Nullable(Type.String({ description: 'When the caller marked it seen' })),
  },
  { $id: 'Reminder', title: 'Reminder' },
);

export const ReminderPageSchema = Type.Object(
  {
    items: Type.Array(ReminderSchema),
    unseen: Type.Integer({ description: 'Not yet seen by the caller, counted up to 100' }),
    next: Nullable(Type.String({ description: 'Pass as `before` for the next page' })),
  },
  { $id: 'ReminderPage', title: 'ReminderPage' },
);

export const ReminderQuery = Type.Object(
  {
    unseen: Type.Optional(Type.Boolean({ description: 'Only the steps not yet seen' })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export const ReminderSeenSchema = Type.Object({ unseen: Type.Integer() }, { $id: 'ReminderSeen', title: 'ReminderSeen' });

export const CaseDetailSchema = Type.Composite(
  [
    CaseViewSchema,
    Type.Object({
      orgName: Type.String(),
      applicant: Nullable(Type.Object({ name: Type.String(), residentIdMasked: Type.String() })),
      events: Type.Array(
        Type.Object({
          action: Type.String(),
          fromState: Nullable(Type.String()),
          toState: Type.String(),
          actorId: Type.String(),
          onBehalfOf: Nullable(Type.String()),
          channel: Type.String(),
          reason: Nullable(Type.String()),
          at: Type.String(),
        }),
      ),
      ruleDecisions: Type.Optional(Type.Array(CaseRuleDecisionSchema, { description: '秒批 rule decisions, for staff' })),
      sla: CaseSlaSchema,
    }),
  ],
  { $id: 'CaseDetail', title: 'CaseDetail' },
);

export const CasePage = Type.Object(
  { items: Type.Array(CaseViewSchema), next: Nullable(Type.String()) },
  { $id: 'CasePage', title: 'CasePage' },
);

const FormValues = Type.Record(Type.String({ maxLength: 60 }), Type.String({ maxLength: 2000 }), {
  maxProperties: 50,
  description: '表单字段，按事项的 formFields 填写',
});

export const SubmitBody = Type.Object(
  {
    serviceCode: Type.String({ minLength: 1, maxLength: 60 }),
    orgCode: Type.Optional(Type.String({ pattern: '^\\d{12}$', description: '居住地村（社区）代码，默认为登记的居住地' })),
    form: FormValues,
    draft: Type.Optional(Type.Boolean({ description: '仅保存草稿' })),
  },
  { additionalProperties: false, $id: 'SubmitCaseBody', title: 'SubmitCaseBody' },
);

export const ResubmitBody = Type.Object(
  { form: Type.Optional(FormValues) },
  { additionalProperties: false, $id: 'ResubmitCaseBody', title: 'ResubmitCaseBody' },
);

export const ActionBody = Type.Object(
  {
    action: Type.Union((['accept', 'start_review', 'return', 'approve', 'reject', 'complete'] as const).map((a) => Type.Literal(a))),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, $id: 'CaseActionBody', title: 'CaseActionBody' },
);

export const QueueQuerySchema = Type.Object(
  {
    orgCode: Type.String({ minLength: 2, maxLength: 18, pattern: ORG_CODE_PATTERN }),
    state: Type.Optional(CaseStateSchema),
    overdue: Type.Optional(Type.Boolean()),
    serviceCode: Type.Optional(CodeParam),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const MineQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export const CaseIdParams = UuidParams;

export const BatchDecideBody = Type.Object(
  {
    ids: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_BATCH_DECISIONS, description: '办件 id' }),
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    reason: Type.Optional(Type.String({ maxLength: 500, description: '不予通过时必填' })),
  },
  { additionalProperties: false, $id: 'BatchDecideBody', title: 'BatchDecideBody' },
);

const BatchOutcomeSchema = Type.Union(
  (['approved', 'rejected', 'conflict', 'not_found', 'forbidden', 'failed'] as const).map((o) => Type.Literal(o)),
);

export const BatchDecideResponse = Type.Object(
  {
    results: Type.Array(
      Type.Object({
        id: Type.String(),
        outcome: BatchOutcomeSchema,
        state: Type.Optional(CaseStateSchema),
        certificateNote: Type.Optional(Type.String({ description: '办结记录，如签发的电子证明编号' })),
        error: Type.Optional(
          Type.Object({
            code: Type.String(),
            message: Type.String({ description: 'In zh-CN, or in English when Accept-Language prefers en' }),
          }),
        ),
      }),
    ),
    counts: Type.Record(BatchOutcomeSchema, Type.Integer()),
  },
  { $id: 'BatchDecideResult', title: 'BatchDecideResult' },
);
