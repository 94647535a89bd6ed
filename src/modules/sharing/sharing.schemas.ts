import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable, OrgCodeParam, PageQuery, UuidParams } from '../../http/schemas.ts';
import { EXCHANGE_STATUSES, GRANT_STATUSES } from './sharing.tables.ts';

const OrgRef = Type.Object({ code: Type.String(), name: Type.String() });
const FieldCode = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' });
const Purpose = Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$', description: '用途代码，如事项编码 birth.household_registration' });

export const DatasetFieldSchema = Type.Object(
  {
    name: Type.String(),
    labelZh: Type.String(),
    labelEn: Type.String(),
    sensitivity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
  },
  { $id: 'DatasetField', title: 'DatasetField' },
);

export const DatasetSchema = Type.Object(
  {
    code: Type.String(),
    nameZh: Type.String(),
    nameEn: Type.String(),
    fields: Type.Array(DatasetFieldSchema),
    legalBasis: Type.String(),
    provider: OrgRef,
    adapter: Type.Union([Type.Literal('internal'), Type.Literal('external'), Type.Literal('licences')]),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

export const DatasetQuery = Type.Object({ provider: Type.Optional(OrgCodeParam) });

export const LegalBasisSchema = Type.Object(
  {
    code: Type.String(),
    titleZh: Type.String(),
    titleEn: Type.String(),
    articleZh: Type.String(),
    articleEn: Type.String(),
    summaryZh: Type.String(),
    summaryEn: Type.String(),
  },
  { $id: 'LegalBasis', title: 'LegalBasis' },
);

export const GrantSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    datasetCode: Type.String(),
    provider: OrgRef,
    consumer: OrgRef,
    fields: Type.Array(Type.String()),
    purpose: Type.String(),
    legalBasis: Type.String(),
    consentRequired: Type.Boolean(),
    status: Type.Union(
      GRANT_STATUSES.map((s) => Type.Literal(s)),
      { description: '待审批 pending_approval · 生效 active · 不予批准 refused' },
    ),
    legalBasisRef: Nullable(LegalBasisSchema),
    requestedBy: Nullable(Type.String()),
    decidedBy: Nullable(Type.String()),
    decidedAt: Nullable(Type.String()),
    decisionNote: Nullable(Type.String()),
    validUntil: Type.String(),
    revokedAt: Nullable(Type.String()),
    createdAt: Type.String(),
  },
  { $id: 'Grant', title: 'Grant' },
);

export const RefuseGrantBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false, $id: 'RefuseGrantBody', title: 'RefuseGrantBody' },
);

export const GrantBody = Type.Object(
  {
    datasetCode: Type.String({ maxLength: 64 }),
    consumerOrgCode: Type.String({ maxLength: 32 }),
    fields: Type.Array(FieldCode, { minItems: 1, maxItems: 64 }),
    purpose: Purpose,
    legalBasis: Type.String({ minLength: 1, maxLength: 500, description: '依据说明 · how the basis applies' }),
    legalBasisCode: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9-]{1,40}$',
        description: '法定依据目录代码（GET /api/sharing/legal-bases）；consentRequired 为 false 时必填，经督查员审批后生效',
      }),
    ),
    consentRequired: Type.Boolean({ description: '依法无需本人同意的授权填 false' }),
    validUntil: IsoDateTime,
  },
  { additionalProperties: false, $id: 'GrantBody', title: 'GrantBody' },
);

export const GrantQuery = Type.Object({ orgCode: OrgCodeParam });

export const ExchangeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union(EXCHANGE_STATUSES.map((s) => Type.Literal(s))),
    dataset: Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() }),
    provider: OrgRef,
    consumer: OrgRef,
    fields: Type.Array(DatasetFieldSchema),
    purpose: Type.String(),
    caseId: Type.String(),
    consentRequired: Type.Boolean(),
    legalBasis: Type.String(),
    requestedAt: Type.String(),
    decidedAt: Nullable(Type.String()),
    completedAt: Nullable(Type.String()),
    ledgerEntryId: Nullable(Type.Integer({ description: 'the ledger entry of a completed exchange' })),
    ledgerIndex: Nullable(Type.Integer({ description: 'its index in the log, once sequenced (null while pending)' })),
  },
  { $id: 'Exchange', title: 'Exchange' },
);

export const ExchangeBody = Type.Object(
  {
    requestKey: Type.String({ pattern: '^[A-Za-z0-9_-]{8,128}$', description: '幂等键：同一键重试得到同一次交换' }),
    datasetCode: Type.String({ maxLength: 64 }),
    fields: Type.Array(FieldCode, { minItems: 1, maxItems: 64 }),
    purpose: Purpose,
    caseId: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false, $id: 'ExchangeBody', title: 'ExchangeBody' },
);

export const ExchangeResultSchema = Type.Object(
  {
    exchange: ExchangeSchema,
    data: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
    replayed: Type.Boolean(),
  },
  { $id: 'ExchangeResult', title: 'ExchangeResult' },
);

export const ExchangePage = Type.Object(
  { items: Type.Array(ExchangeSchema), next: Nullable(Type.String()) },
  { $id: 'ExchangePage', title: 'ExchangePage' },
);
export const MyExchangesQuery = Type.Object(PageQuery);
export const IdParams = UuidParams;
