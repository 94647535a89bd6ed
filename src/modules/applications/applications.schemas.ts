import { Type } from '@sinclair/typebox';
import { PageQuery, Nullable } from '../../http/schemas.ts';
import { CASE_STATES } from './applications.tables.ts';

const Label = Type.Object({ zh: Type.String(), en: Type.String() });
export const CaseStateSchema = Type.Union(CASE_STATES.map((s) => Type.Literal(s)));

export const CaseViewSchema = Type.Object({
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
});

export const CaseDetailSchema = Type.Composite([
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
  }),
]);

export const CasePage = Type.Object({ items: Type.Array(CaseViewSchema), next: Nullable(Type.String()) });

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
  { additionalProperties: false },
);

export const ResubmitBody = Type.Object({ form: Type.Optional(FormValues) }, { additionalProperties: false });

export const ActionBody = Type.Object(
  {
    action: Type.Union(
      (['accept', 'start_review', 'return', 'approve', 'reject', 'complete'] as const).map((a) => Type.Literal(a)),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const QueueQuerySchema = Type.Object(
  {
    orgCode: Type.String({ minLength: 2, maxLength: 18 }),
    state: Type.Optional(CaseStateSchema),
    overdue: Type.Optional(Type.Boolean()),
    serviceCode: Type.Optional(Type.String({ maxLength: 60 })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const MineQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export const CaseIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
