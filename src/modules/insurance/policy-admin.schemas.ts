import { Type, type Static } from '@sinclair/typebox';

const Fen = Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: '分 · fen' });
const Permille = Type.Integer({ minimum: 0, maximum: 1000, description: '‰' });
const ByLevel = Type.Object({ 1: Fen, 2: Fen, 3: Fen }, { additionalProperties: false });
const RatioByLevel = Type.Object({ 1: Permille, 2: Permille, 3: Permille }, { additionalProperties: false });
const Region = Type.String({ pattern: '^\\d{6}$', description: '统筹区 · the pooling region (division code)' });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });

/** A proposed version of a place of insurance's policy (policies.ts RegionPolicy without its end: publishing sets it open). */
export const PolicyProposalSchema = Type.Object(
  {
    region: Region,
    version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$', description: '版本 · e.g. 2027' }),
    effectiveFrom: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: '施行日期 · YYYY-MM-DD' }),
    legalBasis: Type.String({ minLength: 4, maxLength: 500, description: '依据 · the document it applies' }),
    deductibleFen: Type.Object({ employee: ByLevel, resident: ByLevel }, { additionalProperties: false }),
    laterStayDeductiblePermille: Permille,
    ratioPermille: Type.Object({ employee: RatioByLevel, resident: RatioByLevel }, { additionalProperties: false }),
    awayReduction: Type.Object(
      { province: Permille, otherProvinceFiled: Permille, otherProvinceUnfiled: Permille },
      { additionalProperties: false },
    ),
    yearCapFen: Type.Object({ employee: Fen, resident: Fen }, { additionalProperties: false }),
    classBSelfPayPermille: Permille,
  },
  { $id: 'InsurancePolicyProposal', additionalProperties: false },
);
export type PolicyProposal = Static<typeof PolicyProposalSchema>;

export const DryRunBody = Type.Object(
  {
    policy: PolicyProposalSchema,
    month: Type.Optional(Month),
  },
  { additionalProperties: false },
);

const Totals = Type.Object({ then: Type.Integer(), proposed: Type.Integer() });

export const DryRunSchema = Type.Object(
  {
    region: Region,
    month: Month,
    version: Type.String(),
    count: Type.Integer({ minimum: 0, description: '重算的结算笔数' }),
    fundFen: Totals,
    accountFen: Totals,
    cashFen: Totals,
    changes: Type.Array(
      Type.Object({
        setlId: Type.String(),
        institutionCode: Type.String(),
        day: Type.String(),
        policyVersion: Type.String(),
        totalFen: Type.Integer(),
        fundThenFen: Type.Integer(),
        fundProposedFen: Type.Integer(),
        cashThenFen: Type.Integer(),
        cashProposedFen: Type.Integer(),
      }),
      { description: '变化最大的结算（按基金支付差额）' },
    ),
  },
  { $id: 'InsurancePolicyDryRun' },
);
export type DryRun = Static<typeof DryRunSchema>;

export const PublishedSchema = Type.Object(
  {
    region: Region,
    version: Type.String(),
    effectiveFrom: Type.String(),
    /** The previous version, now closed the day before, if there was one. */
    closed: Type.Union([Type.Object({ version: Type.String(), effectiveTo: Type.String() }), Type.Null()]),
    ledgerEntryId: Type.Integer(),
  },
  { $id: 'InsurancePolicyPublished' },
);

const ReconTotalsSchema = Type.Object({
  count: Type.Integer(),
  totalFen: Type.Integer(),
  fundFen: Type.Integer(),
  accountFen: Type.Integer(),
  cashFen: Type.Integer(),
});

export const ClearingSchema = Type.Object(
  {
    month: Month,
    treatmentRegion: Type.String(),
    insuranceRegion: Type.String(),
    totals: ReconTotalsSchema,
    discrepancies: Type.Array(Type.Object({ institutionCode: Type.String(), day: Type.String(), reason: Type.String() })),
    certificateId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'InsuranceClearing' },
);

export const ClearingsQuery = Type.Object({ month: Type.Optional(Month) });
