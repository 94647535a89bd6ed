import { makeResidentId, maskResidentId, systemPrincipal } from '../modules/identity/index.ts';
import { seedInsurance } from '../modules/insurance/index.ts';
import { makeCreditCode } from '../modules/orgs/index.ts';
import type { openPlatform } from '../platform.ts';
import { sm2GenerateKeyPair } from '../verify/sm2-keys.ts';
import type { NodeRecords } from './federation-accounting.ts';
import type { NodeSpec } from './node-processes.ts';

/**
 * 跨省异地就医直接结算 in the federation demo (issue 16, service 4): a resident of 平南县官成镇旺石村,
 * insured as an employee in 贵港市 (450800) at the Guangxi node, is treated at 正定县人民医院
 * (130123, Hebei) and settled at that hospital's insurance window: Hebei classifies and prices the
 * lines with its catalogue, and asks Guangxi, in one signed call each, to pre-settle and settle
 * under 贵港市's policy (cross-province.ts). Hebei holds no record of the patient beforehand: opening
 * the stay fetches the coverage from Guangxi in one more signed call (cross-province-person.ts). The
 * patient's ID number travels in the signed calls; each node keys it under its own master key.
 */
type Platform = Awaited<ReturnType<typeof openPlatform>>;

const GUIGANG = { region: '450800', nameZh: '贵港市' } as const;
/** 正定县人民医院 at the Hebei node (an H code: H, the county, a serial). */
const HOSPITAL = {
  code: 'H13012300011',
  nameZh: '正定县人民医院',
  nameEn: 'Zhengding County People’s Hospital',
  level: 2,
  region: '130123',
} as const;
const HOSPITAL_CLERK = 'zhengding-hospital-window';
const ACCOUNT_FEN = 60_000;

/** The patient: born in 平南县 (450821), insured in 贵港市's employee scheme with a personal account. */
export const PATIENT = { name: '莫海燕', residentId: makeResidentId('450821', '1968-04-16', 73), scheme: 'employee' as const };

/** A stay at 正定县人民医院: beds, nursing, a class-B drug, a class-C drug (the seed catalogue, Hebei's). */
const STAY = [
  { feedetlSn: 'F1', code: '001102000010000', quantity: 5, unitPriceFen: 4_000 },
  { feedetlSn: 'F2', code: '001103000010000', quantity: 5, unitPriceFen: 3_000 },
  { feedetlSn: 'F3', code: 'XB01ABE005B002010100732', quantity: 8, unitPriceFen: 4_200 },
  { feedetlSn: 'F4', code: 'XN05CFZ017A001010101333', quantity: 2, unitPriceFen: 3_000 },
];

/** Guangxi, the place of insurance: 贵港市's policy and the patient enrolled, with a personal account. */
export async function seedPlaceOfInsurance(platform: Platform): Promise<void> {
  await seedInsurance(platform.database.db, [{ ...GUIGANG, officeOrgCode: '4508' }]);
  await platform.services.insuranceAdmin.enrol({
    ...PATIENT,
    region: GUIGANG.region,
    fromDate: '2015-01-01',
    accountBalanceFen: ACCOUNT_FEN,
  });
}

/**
 * Hebei, the place of treatment: its catalogue, its insurance bureau (which seals the statements of
 * stays here: 就医地管理), the hospital with its window clerk. Not the patient: the window's first
 * look-up of the ID card fetches the coverage from Guangxi (`insurance.person`, cross-province-person.ts)
 * and registers Hebei's copy (its own person number, under its own key; no account: that is Guangxi's).
 */
export async function seedPlaceOfTreatment(platform: Platform, password: string): Promise<void> {
  const { services, database } = platform;
  const county = await services.orgs.requireOrg(HOSPITAL.region);
  const creator = systemPrincipal({
    actor: 'demo:federation-insurance',
    at: { orgCode: county.code, orgPath: county.path, actions: ['department.create'] },
  });
  const bureau = await services.orgs.createDepartment(creator, {
    parentCode: county.code,
    name: '正定县医疗保障局',
    kind: 'medical_security',
    creditCode: makeCreditCode('11130123YB0130121'),
  });
  await seedInsurance(database.db, [{ ...GUIGANG, officeOrgCode: bureau.code }]);
  const hospital = await services.orgs.createDepartment(creator, {
    parentCode: county.code,
    name: HOSPITAL.nameZh,
    kind: 'hospital',
    creditCode: makeCreditCode('12130123YBH000011'),
  });
  // The hospital's own system signs the hospital interface; the window works in process, so the demo only registers a key.
  const { publicKey } = sm2GenerateKeyPair();
  await services.insuranceAdmin.registerInstitution({ ...HOSPITAL, keyId: `${HOSPITAL.code}-key`, publicKey, orgCode: hospital.code });
  await services.identityAdmin.ensureStaff({
    username: HOSPITAL_CLERK,
    name: `${HOSPITAL.nameZh}医保窗口`,
    password,
    roles: [{ role: 'hospital_window', orgCode: hospital.code }],
  });
}

type Call = <T>(
  node: NodeSpec,
  token: string,
  method: string,
  route: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<T>;

interface Amounts {
  medfee_sumamt: number;
  act_pay_dedc: number;
  hifp_pay: number;
  acct_pay: number;
  psn_cash_pay: number;
}

/** What the window answered: the encounter, the settlement's id and parts, the policy it was settled under. */
export interface WindowSettlement {
  mdtrtId: string;
  where: string;
  presettledTotal: number;
  setlId: string;
  policy: string;
  amounts: Amounts;
}

/** At Hebei's window: open the stay (2001), upload its fees (2301), pre-settle (2303) and settle (2304), the ID card presented each time. */
export async function settleAtTheWindow(
  node: NodeSpec,
  login: (node: NodeSpec, body: Record<string, unknown>) => Promise<string>,
  call: Call,
  today: string,
): Promise<WindowSettlement> {
  const token = await login(node, { kind: 'staff', username: HOSPITAL_CLERK });
  const base = `/insurance/window/${HOSPITAL.code}`;
  const residentId = PATIENT.residentId;
  const opened = await call<{ mdtrtId: string; where: string }>(
    node,
    token,
    'POST',
    `${base}/encounters`,
    { residentId, medType: '21', beginDate: today },
    { 'idempotency-key': 'demo-insurance-open' },
  );
  await call(
    node,
    token,
    'POST',
    `${base}/encounters/${opened.mdtrtId}/fees`,
    { lines: STAY },
    { 'idempotency-key': 'demo-insurance-fees' },
  );
  const pre = await call<{ amounts: Amounts; policy: string }>(node, token, 'POST', `${base}/encounters/${opened.mdtrtId}/presettle`, {
    residentId,
  });
  const settled = await call<{ setlId: string; amounts: Amounts; policy: string }>(
    node,
    token,
    'POST',
    `${base}/encounters/${opened.mdtrtId}/settle`,
    { medfeeSumamt: pre.amounts.medfee_sumamt, residentId },
    { 'idempotency-key': 'demo-insurance-settle' },
  );
  return {
    mdtrtId: opened.mdtrtId,
    where: opened.where,
    presettledTotal: pre.amounts.medfee_sumamt,
    setlId: settled.setlId,
    policy: settled.policy,
    amounts: settled.amounts,
  };
}

/** `crossProvinceSettlement` in the demo's JSON: the window's answer, and each node's row read back from its database. */
export function settlementReport(input: {
  window: WindowSettlement;
  treatment: NodeRecords;
  insurance: NodeRecords;
  presettleCalls: number;
  settleCalls: number;
}) {
  const { window: w, treatment, insurance } = input;
  const here = treatment.settlements.find((s) => s.setlId === w.setlId) ?? null;
  const there = insurance.remoteSettlements.filter((s) => s.mdtrtId === w.mdtrtId && s.fromMember === treatment.memberId);
  const parts = (s: { totalFen: number; hifpPayFen: number; acctPayFen: number; cashPayFen: number } | null | undefined) =>
    s ? [s.totalFen, s.hifpPayFen, s.acctPayFen, s.cashPayFen] : null;
  const same = JSON.stringify(parts(here)) === JSON.stringify(parts(there[0]));
  return {
    label: '广西参保、河北就医、河北医院医保窗口直接结算（参保地政策）',
    patientMasked: maskResidentId(PATIENT.residentId),
    treatedAt: treatment.memberId,
    hospital: { code: HOSPITAL.code, name: HOSPITAL.nameZh, region: HOSPITAL.region },
    policyOf: insurance.memberId,
    insuranceRegion: GUIGANG.region,
    insuranceRegionName: GUIGANG.nameZh,
    where: w.where,
    policyVersion: w.policy,
    setlId: w.setlId,
    total: w.amounts.medfee_sumamt,
    deductible: w.amounts.act_pay_dedc,
    fundPay: w.amounts.hifp_pay,
    accountPay: w.amounts.acct_pay,
    cashPay: w.amounts.psn_cash_pay,
    /** The signed calls Hebei made to Guangxi (insurance.presettle, insurance.settle), counted in both databases. */
    calls: { presettle: input.presettleCalls, settle: input.settleCalls },
    atTreatment: here,
    atPlaceOfInsurance: there,
    settledOnBoth: here?.status === 'settled' && there.length === 1 && there[0]!.status === 'settled' && same,
  };
}
export type CrossProvinceSettlement = ReturnType<typeof settlementReport>;
