import { Type, type Static } from '@sinclair/typebox';

const Words = Type.Object({ zh: Type.String(), en: Type.String() });
const BenefitCode = Type.String({ pattern: '^benefit\\.[a-z_]{1,48}$', maxLength: 56 });

const GrantStatusSchema = Type.Union([
  Type.Literal('offered'),
  Type.Literal('granted'),
  Type.Literal('declined'),
  Type.Literal('opted_out'),
  Type.Literal('stopped'),
  Type.Literal('refused'),
]);

export const BenefitGrantSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  benefitCode: Type.String(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  mode: Type.Union([Type.Literal('grant'), Type.Literal('process'), Type.Literal('confirm')]),
  schedule: Type.Union([Type.Literal('once'), Type.Literal('monthly'), Type.Literal('yearly')]),
  status: GrantStatusSchema,
  outcome: Type.Union([Type.Literal('eligible'), Type.Literal('ineligible'), Type.Literal('undetermined')]),
  amountFen: Type.Union([Type.Integer(), Type.Null()]),
  payeeMasked: Type.String({ description: '收款人身份证号（脱敏） · the payee, masked' }),
  triggeredAt: Type.String({ format: 'date-time' }),
  decidedAt: Type.String({ format: 'date-time' }),
  respondedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  stoppedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rule: Type.Object({ code: Type.String(), version: Type.Integer(), hash: Type.String() }),
  basis: Type.Union([
    Type.Object({ titleZh: Type.String(), titleEn: Type.String(), articleZh: Type.String(), articleEn: Type.String() }),
    Type.Null(),
  ]),
  why: Type.Object(
    {
      failed: Type.Array(Type.Object({ id: Type.String(), zh: Type.String(), en: Type.String() })),
      missing: Type.Array(Type.String()),
      unavailable: Type.Array(Type.Object({ dataset: Type.String(), reason: Words })),
    },
    { description: '未符合的条件与无法读取的数据 · the clauses not met and the data that could not be read' },
  ),
  inputs: Type.Array(
    Type.Object({ name: Type.String(), dataset: Type.String(), field: Type.String(), digest: Type.Union([Type.String(), Type.Null()]) }),
  ),
  payments: Type.Array(
    Type.Object({
      period: Type.String(),
      amountFen: Type.Integer(),
      status: Type.Union([
        Type.Literal('pending'),
        Type.Literal('sent'),
        Type.Literal('cancelled'),
        Type.Literal('refused'),
        Type.Literal('held'),
      ]),
      sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
  caseId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  reviewCaseId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  actions: Type.Object({ confirm: Type.Boolean(), decline: Type.Boolean(), optOut: Type.Boolean(), review: Type.Boolean() }),
});
export type BenefitGrantView = Static<typeof BenefitGrantSchema>;

export const GrantParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ReviewBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const OptOutBody = Type.Object({ benefitCode: BenefitCode }, { additionalProperties: false });

export const GrantsQuery = Type.Object({
  benefitCode: Type.Optional(BenefitCode),
  status: Type.Optional(GrantStatusSchema),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$', maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const GrantsPageSchema = Type.Object({ items: Type.Array(BenefitGrantSchema), next: Type.Union([Type.String(), Type.Null()]) });

export const BenefitFiguresSchema = Type.Object({
  benefitCode: Type.String(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  mode: Type.String(),
  payerOrgCode: Type.String(),
  decided: Type.Integer({ description: '评估人次 · people assessed' }),
  eligible: Type.Integer(),
  granted: Type.Integer({ description: '已享受（含确认后、已停发） · granted, confirmed or later stopped' }),
  offered: Type.Integer(),
  declined: Type.Integer(),
  optedOut: Type.Integer(),
  refused: Type.Integer(),
  stopped: Type.Integer(),
  grantedFen: Type.Integer(),
  paymentsSent: Type.Integer(),
  paidFen: Type.Integer(),
  paymentsPending: Type.Integer(),
  paymentsCancelled: Type.Integer(),
  triggerToPaymentSeconds: Type.Object({
    p50: Type.Union([Type.Number(), Type.Null()]),
    p90: Type.Union([Type.Number(), Type.Null()]),
    max: Type.Union([Type.Number(), Type.Null()]),
  }),
  takeUp: Type.Union([Type.Number(), Type.Null()], { description: '享受率 = 已享受 ÷ 符合条件 · take-up = granted ÷ eligible' }),
});
export type BenefitFigures = Static<typeof BenefitFiguresSchema>;

export const BenefitCatalogueSchema = Type.Object({
  code: Type.String(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  mode: Type.String(),
  trigger: Type.Union([
    Type.Object({ kind: Type.Literal('certificate'), certificateType: Type.String() }),
    Type.Object({ kind: Type.Literal('date') }),
  ]),
  ruleCode: Type.String(),
  payerOrgCode: Type.String(),
  schedule: Type.String(),
});
