/** The hospital insurance window's requests and answers (window.routes.ts), fen as integers, the ID number only in bodies. */
import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable, Uuid } from '../../http/schemas.ts';

export const Fen = Type.Integer({ minimum: 0, description: '分 · fen' });
/** The ID number as the patient presents it at the window: in the body, never in an address that logs keep. */
export const ResidentIdField = Type.String({ minLength: 15, maxLength: 18, description: '患者出示的身份证号码 · the ID number presented' });
export const MedType = Type.Union([Type.Literal('11'), Type.Literal('14'), Type.Literal('21'), Type.Literal('52')], {
  description: '11 普通门诊 · 14 门诊慢特病 · 21 普通住院 · 52 生育住院',
});
export const Where = Type.Union([Type.Literal('local'), Type.Literal('province'), Type.Literal('other_province')]);
const Explanation = Type.Object({
  rule: Type.String(),
  zh: Type.String(),
  en: Type.String(),
  policy: Type.String(),
  basis: Type.String(),
});
const Amounts = Type.Object({
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
const ExplainedLine = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  totalFen: Fen,
  fulamtOwnpayFen: Fen,
  overlmtSelfpayFen: Fen,
  preselfpayFen: Fen,
  inscpFen: Fen,
  why: Type.Array(Explanation),
});

export const InstitutionParams = Type.Object({ code: Type.String({ pattern: '^H\\d{11}$' }) });
export const EncounterParams = Type.Object({
  code: Type.String({ pattern: '^H\\d{11}$' }),
  mdtrtId: Type.String({ pattern: '^H\\d{11}[0-9a-f]{8,40}$', maxLength: 64 }),
});
export const SettlementParams = Type.Object({
  code: Type.String({ pattern: '^H\\d{11}$' }),
  setlId: Type.String({ pattern: '^[A-Z0-9]{8,40}$', maxLength: 40 }),
});

export const WindowHospital = Type.Object(
  {
    code: Type.String(),
    nameZh: Type.String(),
    nameEn: Type.String(),
    level: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]),
    region: Type.String(),
    orgCode: Type.String(),
  },
  { $id: 'WindowHospital', title: 'WindowHospital' },
);

export const WindowEncounter = Type.Object(
  {
    mdtrtId: Type.String(),
    psnNo: Type.String(),
    name: Type.String(),
    idMasked: Type.String(),
    medType: MedType,
    beginDate: Type.String(),
    emergency: Type.Boolean(),
    where: Where,
    filed: Type.Boolean(),
    status: Type.Union([Type.Literal('open'), Type.Literal('settled')]),
    presettled: Type.Boolean(),
    presettleTotalFen: Nullable(Fen),
    lines: Type.Integer({ minimum: 0 }),
    feeTotalFen: Fen,
    setlId: Nullable(Type.String()),
    createdAt: IsoDateTime,
  },
  { $id: 'WindowEncounter', title: 'WindowEncounter' },
);

export const WindowEncounterDetail = Type.Composite(
  [
    WindowEncounter,
    Type.Object({
      feeLines: Type.Array(
        Type.Object({
          feedetlSn: Type.String(),
          code: Type.String(),
          name: Type.String(),
          itemClass: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]),
          quantity: Type.Integer(),
          unitPriceFen: Fen,
          totalFen: Fen,
        }),
      ),
    }),
  ],
  { $id: 'WindowEncounterDetail', title: 'WindowEncounterDetail' },
);

export const WindowCoverage = Type.Object(
  {
    psnNo: Type.String(),
    name: Type.String(),
    idMasked: Type.String(),
    gender: Type.Union([Type.Literal('1'), Type.Literal('2')]),
    birthDate: Type.String(),
    scheme: Type.Union([Type.Literal('employee'), Type.Literal('resident')]),
    region: Type.String(),
    regionName: Nullable(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('ended')]),
    accountBalanceFen: Fen,
    where: Where,
    year: Type.Object({
      year: Type.Integer(),
      deductibleUsedFen: Fen,
      fundPaidFen: Fen,
      accountPaidFen: Fen,
      stays: Type.Integer({ minimum: 0 }),
    }),
    filings: Type.Array(
      Type.Object({
        kind: Type.Union([Type.Literal('long_term_residence'), Type.Literal('temporary'), Type.Literal('emergency')]),
        destination: Type.String(),
        startDate: Type.String(),
        endDate: Nullable(Type.String()),
      }),
    ),
    openEncounters: Type.Array(WindowEncounter),
    /** Set when the place of insurance in another province could not be asked: the coverage is the copy held here. */
    warning: Nullable(
      Type.Object(
        { zh: Type.String(), en: Type.String() },
        {
          description:
            '参保地无法核实时的提示（以本节点保存的参保信息作答） · the place of insurance could not be asked: the copy held here',
        },
      ),
    ),
  },
  { $id: 'WindowCoverage', title: 'WindowCoverage' },
);

export const WindowPresettlement = Type.Object(
  { mdtrtId: Type.String(), amounts: Amounts, policy: Type.String(), why: Type.Array(Explanation), lines: Type.Array(ExplainedLine) },
  { $id: 'WindowPresettlement', title: 'WindowPresettlement' },
);

export const WindowSettlement = Type.Object(
  {
    setlId: Type.String(),
    mdtrtId: Type.String(),
    settledAt: IsoDateTime,
    amounts: Amounts,
    policy: Type.String(),
    why: Type.Array(Explanation),
    lines: Type.Array(ExplainedLine),
  },
  { $id: 'WindowSettlement', title: 'WindowSettlement' },
);

export const WindowStatement = Type.Object(
  {
    setlId: Type.String(),
    mdtrtId: Type.String(),
    institutionCode: Type.String(),
    institutionName: Type.String(),
    name: Type.String(),
    idMasked: Type.String(),
    psnNo: Type.String(),
    scheme: Type.Union([Type.Literal('employee'), Type.Literal('resident')]),
    insuranceRegion: Type.String(),
    insuranceRegionName: Nullable(Type.String()),
    status: Type.Union([Type.Literal('settled'), Type.Literal('cancelled')]),
    policyVersion: Type.String(),
    settledAt: IsoDateTime,
    cancelledAt: Nullable(IsoDateTime),
    certificateId: Nullable(Uuid),
    amounts: Amounts,
    why: Type.Array(Explanation),
    lines: Type.Array(ExplainedLine),
  },
  { $id: 'WindowStatement', title: 'WindowStatement' },
);

export const FeeLineBody = Type.Object({
  feedetlSn: Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}$' }),
  code: Type.String({ pattern: '^[A-Za-z0-9]{1,30}$' }),
  quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
  unitPriceFen: Fen,
});
