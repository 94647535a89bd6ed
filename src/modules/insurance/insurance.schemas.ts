import { Type, type Static } from '@sinclair/typebox';

const Fen = Type.Integer({ minimum: 0, description: '分 · fen' });
const NullableDate = Type.Union([Type.String(), Type.Null()]);

const ExplanationSchema = Type.Object({
  rule: Type.String(),
  zh: Type.String(),
  en: Type.String(),
  policy: Type.String({ description: '政策版本 · the policy version applied' }),
  basis: Type.String({ description: '依据 · the document it applies' }),
});

const AmountsSchema = Type.Object({
  medfee_sumamt: Fen,
  fulamt_ownpay_amt: Fen,
  overlmt_selfpay: Fen,
  preselfpay_amt: Fen,
  inscp_scp_amt: Fen,
  act_pay_dedc: Fen,
  hifp_pay: Fen,
  acct_pay: Fen,
  psn_cash_pay: Fen,
});

export const SettlementSchema = Type.Object(
  {
    setlId: Type.String(),
    mdtrtId: Type.String(),
    institutionCode: Type.String(),
    institutionName: Type.Union([Type.String(), Type.Null()]),
    treatmentRegion: Type.String(),
    insuranceRegion: Type.String(),
    status: Type.Union([Type.Literal('settled'), Type.Literal('cancelled')]),
    policyVersion: Type.String(),
    settledAt: Type.String({ format: 'date-time' }),
    cancelledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    certificateId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    amounts: AmountsSchema,
    why: Type.Array(ExplanationSchema),
    lines: Type.Array(
      Type.Object({
        id: Type.String(),
        totalFen: Fen,
        fulamtOwnpayFen: Fen,
        overlmtSelfpayFen: Fen,
        preselfpayFen: Fen,
        inscpFen: Fen,
        why: Type.Array(ExplanationSchema),
      }),
    ),
  },
  { $id: 'InsuranceSettlement' },
);

const Scheme = Type.Union([Type.Literal('employee'), Type.Literal('resident')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('ended')]);

export const MyInsuranceSchema = Type.Union(
  [
    Type.Object({ insured: Type.Literal(false) }),
    Type.Object({
      insured: Type.Literal(true),
      psnNo: Type.String(),
      name: Type.String(),
      idMasked: Type.String(),
      scheme: Scheme,
      region: Type.String(),
      regionName: Type.Union([Type.String(), Type.Null()]),
      status: Status,
      accountBalanceFen: Fen,
      history: Type.Array(
        Type.Object({ fromDate: Type.String(), scheme: Scheme, region: Type.String(), status: Status, reason: Type.String() }),
      ),
      year: Type.Object({
        year: Type.Integer(),
        deductibleUsedFen: Fen,
        fundPaidFen: Fen,
        accountPaidFen: Fen,
        stays: Type.Integer({ minimum: 0 }),
      }),
      filings: Type.Array(
        Type.Object({
          id: Type.String({ format: 'uuid' }),
          kind: Type.Union([Type.Literal('long_term_residence'), Type.Literal('temporary'), Type.Literal('emergency')]),
          destination: Type.String(),
          startDate: Type.String(),
          endDate: NullableDate,
        }),
      ),
      settlements: Type.Array(SettlementSchema),
    }),
  ],
  { $id: 'MyInsurance' },
);

const Permille = Type.Integer({ minimum: 0, maximum: 1000 });
const ByLevel = Type.Object({ 1: Fen, 2: Fen, 3: Fen });
const RatioByLevel = Type.Object({ 1: Permille, 2: Permille, 3: Permille });

export const PolicySchema = Type.Object(
  {
    region: Type.String(),
    version: Type.String(),
    effectiveFrom: Type.String(),
    effectiveTo: NullableDate,
    legalBasis: Type.String(),
    deductibleFen: Type.Object({ employee: ByLevel, resident: ByLevel }),
    laterStayDeductiblePermille: Permille,
    ratioPermille: Type.Object({ employee: RatioByLevel, resident: RatioByLevel }),
    awayReduction: Type.Object({ province: Permille, otherProvinceFiled: Permille, otherProvinceUnfiled: Permille }),
    yearCapFen: Type.Object({ employee: Fen, resident: Fen }),
    classBSelfPayPermille: Permille,
    createdAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String(),
  },
  { $id: 'InsurancePolicy' },
);

export const InstitutionSchema = Type.Object(
  {
    code: Type.String({ pattern: '^H\\d{11}$' }),
    nameZh: Type.String(),
    nameEn: Type.String(),
    level: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]),
    region: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
    keyId: Type.String(),
  },
  { $id: 'InsuranceInstitution' },
);

export const CatalogueEntrySchema = Type.Object(
  {
    code: Type.String(),
    kind: Type.Union([Type.Literal('drug'), Type.Literal('service'), Type.Literal('consumable')]),
    nameZh: Type.String(),
    nameEn: Type.String(),
    unit: Type.String(),
    itemClass: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]),
    priceLimitFen: Type.Union([Fen, Type.Null()]),
    maxPriceFen: Type.Union([Fen, Type.Null()]),
    effectiveFrom: Type.String(),
    effectiveTo: NullableDate,
  },
  { $id: 'InsuranceCatalogueEntry' },
);

export const OpenRemoteSettlementSchema = Type.Object(
  {
    callId: Type.String({ format: 'uuid' }),
    institutionCode: Type.String(),
    institutionName: Type.Union([Type.String(), Type.Null()]),
    mdtrtId: Type.String(),
    msgid: Type.String(),
    insuranceRegion: Type.String(),
    insuranceRegionName: Type.Union([Type.String(), Type.Null()]),
    state: Type.Union([Type.Literal('pending'), Type.Literal('abandoning')]),
    createdAt: Type.String({ format: 'date-time' }),
    lastChangedAt: Type.String({ format: 'date-time' }),
    nextStepAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'InsuranceOpenRemoteSettlement' },
);

export const OpenRemoteSettlementsSchema = Type.Object(
  { pending: Type.Integer(), abandoning: Type.Integer(), items: Type.Array(OpenRemoteSettlementSchema) },
  { $id: 'InsuranceOpenRemoteSettlements' },
);

export const RemoteRetrySchema = Type.Object(
  {
    callId: Type.String({ format: 'uuid' }),
    state: Type.Union([
      Type.Literal('pending'),
      Type.Literal('settled'),
      Type.Literal('refused'),
      Type.Literal('abandoning'),
      Type.Literal('abandoned'),
    ]),
    reached: Type.Boolean(),
    nextStepAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'InsuranceRemoteRetry' },
);

export const CallIdParams = Type.Object({ callId: Type.String({ format: 'uuid' }) });
export const SetlParams = Type.Object({ setlId: Type.String({ pattern: '^[A-Z0-9]{8,40}$', maxLength: 40 }) });
export const SettlementsQuery = Type.Object({
  before: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export const CatalogueQuery = Type.Object({ region: Type.String({ pattern: '^\\d{2}0000$' }) });

export type SettlementDto = Static<typeof SettlementSchema>;
