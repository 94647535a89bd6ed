import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import type { HospitalClient } from '../src/modules/insurance/hospital-client.ts';
import { insuranceSettlements } from '../src/modules/insurance/insurance.tables.ts';
import { derivedUuid, STATEMENT_TYPE } from '../src/modules/insurance/statement.ts';
import { certificates } from '../src/modules/certificates/certificates.tables.ts';
import { encodeQr } from '../src/verify/bundle.ts';
import { parsePayload } from '../src/verify/document.ts';
import { extractBundleFromPdf } from '../src/verify/pdf-extract.ts';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, freshResidentId, PASSWORD, type TestContext } from './factories.ts';
import { connectTestHospital, HOSPITAL } from './insurance-fixture.ts';

const BIN = new URL('../bin/yiban.js', import.meta.url).pathname;
const GUIGANG = '450800';
const STAY = [
  { feedetl_sn: 'L1', med_list_codg: '001102000010000', cnt: 12, pric_fen: 5_000 },
  { feedetl_sn: 'L2', med_list_codg: '001103000010000', cnt: 12, pric_fen: 3_500 },
  { feedetl_sn: 'L3', med_list_codg: '003311000010000', cnt: 1, pric_fen: 780_000 },
  { feedetl_sn: 'L4', med_list_codg: 'XB01ABE005B002010100732', cnt: 20, pric_fen: 4_200 },
  { feedetl_sn: 'L5', med_list_codg: 'XN05CFZ017A001010101333', cnt: 2, pric_fen: 3_000 },
  { feedetl_sn: 'L6', med_list_codg: 'C0311201000000107328', cnt: 1, pric_fen: 880_000 },
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function yibanVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { YIBAN_PUBLIC_URL: _ignored, ...env } = process.env;
  return new Promise((resolve) => {
    execFile('node', [BIN, 'verify', ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.each(testEngines())('the settlement statement (结算单) on %s', (engine) => {
  let ctx: TestContext;
  let app: App;
  let platform: string;
  let hospital: HospitalClient;
  const region = { insuranceRegion: GUIGANG };

  beforeAll(async () => {
    const port = await freePort();
    platform = `http://127.0.0.1:${port}`;
    ctx = await createTestContext(engine, { publicUrl: platform });
    app = await buildTestApp(ctx);
    await app.listen({ host: '127.0.0.1', port });
    await ctx.services.keys.ensurePlatformRoot();
    await seedInsurance(ctx.database.db, [{ region: GUIGANG, nameZh: '贵港市', officeOrgCode: ctx.departments.medical_security! }]);
    hospital = await connectTestHospital(ctx, app);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  async function settleStay(psnNo: string, day: string) {
    const mdtrtId = (await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: day }, region)).answer.output!
      .mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const settled = await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
    return { setlId: settled.answer.output!.setl_id as string, msgid: settled.msgid, output: settled.answer.output! };
  }

  const statementsOf = (setlId: string) =>
    ctx.database.db
      .select()
      .from(certificates)
      .where(and(eq(certificates.typeCode, STATEMENT_TYPE), eq(certificates.caseId, derivedUuid('statement', setlId))));

  async function bearer(residentId: string): Promise<string> {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: residentId, password: PASSWORD, channel: 'app' },
    });
    return login.json<{ token: string }>().token;
  }

  it('seals one statement per settlement even when the event comes twice, with the settlement’s amounts and every line’s why, the ID masked; the PDF and its QR text verify VALID', async () => {
    const resident = await ctx.newResident({ name: '覃阿婆' });
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: resident.residentId,
      name: '覃阿婆',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
      accountId: resident.accountId,
    });
    const { setlId, output } = await settleStay(psnNo, '2026-08-10');
    const issue = ctx.services.insurance.handlers.find((h) => h.name === 'insurance.issue-statement')!;
    const delivered = { id: 1, topic: 'insurance.settled', payload: { setlId }, attempts: 1, createdAt: new Date() };
    const markHandled = async () => {};
    // Delivered twice at once (a lease that expired), then once more through the outbox.
    await Promise.all([issue.handle(delivered, { markHandled }), issue.handle({ ...delivered, id: 2 }, { markHandled })]);
    await ctx.services.events.drain();
    const issued = await statementsOf(setlId);
    expect(issued).toHaveLength(1);
    const [row] = await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
    expect(row!.certificateId).toBe(issued[0]!.id);
    expect(issued[0]!.holderId).toBe(resident.accountId);

    const cert = await ctx.services.certificates.get(resident, row!.certificateId!);
    const field = (name: string) => cert.fields.find((f) => f.name === name)?.value;
    const yuan = (fen: unknown) => ((fen as number) / 100).toFixed(2);
    for (const k of [
      'medfee_sumamt',
      'fulamt_ownpay_amt',
      'overlmt_selfpay',
      'preselfpay_amt',
      'inscp_scp_amt',
      'act_pay_dedc',
      'hifp_pay',
      'acct_pay',
      'psn_cash_pay',
    ])
      expect(field('amounts'), k).toContain(`（${k}）${yuan(output[k])} 元`);
    expect(field('setlId')).toBe(setlId);
    expect(field('policyVersion')).toBe('450800-2026-07');
    expect(field('legalBasis')).toContain('医保发〔2022〕22 号');
    expect(field('institution')).toContain(HOSPITAL);
    const lines = field('lines')!.split('\n');
    expect(lines).toHaveLength(STAY.length);
    expect(lines[5]).toMatch(/^L6 .*金额 8800\.00.*超限价 1800\.00.*〔over-limit，450800-2026-07〕/);
    expect(lines[4]).toMatch(/全自费 60\.00.*〔class-c，450800-2026-07〕/);
    expect(cert.holder.residentIdMasked).toBe(`${resident.residentId.slice(0, 6)}********${resident.residentId.slice(14)}`);
    expect(cert.issuer.code).toBe(ctx.departments.medical_security);
    expect(JSON.stringify(cert)).not.toContain(resident.residentId);

    const res = await app.inject({
      url: `/api/insurance/settlements/${setlId}/statement`,
      headers: { authorization: `Bearer ${await bearer(resident.residentId)}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = new Uint8Array(res.rawPayload);
    expect(Buffer.from(pdf).includes(Buffer.from(resident.residentId))).toBe(false);
    const bundle = (await extractBundleFromPdf(pdf))!;
    expect(parsePayload(bundle.payload)?.type).toBe(STATEMENT_TYPE);
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-statement-'));
    writeFileSync(path.join(dir, 'statement.pdf'), pdf);
    writeFileSync(path.join(dir, 'qr.txt'), await encodeQr(bundle));
    writeFileSync(path.join(dir, 'qr-payload.txt'), await encodeQr({ ...bundle, disclosures: [] }));
    for (const file of ['statement.pdf', 'qr.txt', 'qr-payload.txt']) {
      const verified = await yibanVerify([path.join(dir, file), '--platform', platform, '--cache-dir', path.join(dir, 'cache')]);
      expect(verified.stdout, file).toContain('有效 VALID');
      expect(verified.code, file).toBe(0);
    }
    const checked = await ctx.services.certificates.verify(bundle);
    expect(checked.verdict).toBe('VALID');

    // Someone else's statement is no one's business: 404.
    const stranger = await ctx.newResident({ name: '陆先生' });
    const denied = await app.inject({
      url: `/api/insurance/settlements/${setlId}/statement`,
      headers: { authorization: `Bearer ${await bearer(stranger.residentId)}` },
    });
    expect(denied.statusCode).toBe(404);
    // The office of the region gets it.
    const officer = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    const forOffice = await ctx.services.insurance.statementPdf(officer, setlId);
    expect(forOffice.identifier).toBe(cert.identifier);
  });

  it('seals the statements of a batch of settlements together, skips one cancelled before, and never seals one twice', async () => {
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: freshResidentId(),
      name: '黄阿姨',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    const stays = [];
    for (const day of ['2026-10-01', '2026-10-08', '2026-10-15']) stays.push(await settleStay(psnNo, day));
    await hospital.call('2305', { setl_id: stays[1]!.setlId }, region);
    const issue = ctx.services.insurance.handlers.find((h) => h.name === 'insurance.issue-statement')!;
    const events = stays.map((s, i) => ({
      id: 100 + i,
      topic: 'insurance.settled',
      payload: { setlId: s.setlId },
      attempts: 1,
      createdAt: new Date(),
    }));
    // The same batch twice at once (two workers), then once more: one statement per standing settlement.
    await Promise.all([issue.handleMany!(events), issue.handleMany!(events)].map((p) => p.catch(() => undefined)));
    await issue.handleMany!(events);
    const sealed = await Promise.all(stays.map((s) => statementsOf(s.setlId)));
    expect(sealed.map((rows) => rows.length)).toEqual([1, 0, 1]);
    const settlements = await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.psnNo, psnNo));
    const byId = new Map(settlements.map((s) => [s.setlId, s]));
    expect(byId.get(stays[0]!.setlId)!.certificateId).toBe(sealed[0]![0]!.id);
    expect(byId.get(stays[2]!.setlId)!.certificateId).toBe(sealed[2]![0]!.id);
    expect(byId.get(stays[1]!.setlId)!.certificateId).toBeNull();
    expect(sealed[0]![0]!.id).not.toBe(sealed[2]![0]!.id);
  });

  it('seals the rest of a batch when one of its settlements is cancelled between the reads and the sealing transaction', async () => {
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: freshResidentId(),
      name: '蒙阿婆',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    const stays: Awaited<ReturnType<typeof settleStay>>[] = [];
    for (const day of ['2026-11-01', '2026-11-08', '2026-11-15']) stays.push(await settleStay(psnNo, day));
    const issue = ctx.services.insurance.handlers.find((h) => h.name === 'insurance.issue-statement')!;
    const events = stays.map((s, i) => ({
      id: 200 + i,
      topic: 'insurance.settled',
      payload: { setlId: s.setlId },
      attempts: 1,
      createdAt: new Date(),
    }));
    // The cancellation (2305) lands after the batch was read and signed, before its transaction.
    const certs = ctx.services.certificates;
    const prepare = certs.prepareRecordIssue.bind(certs);
    certs.prepareRecordIssue = async (inputs) => {
      const prepared = await prepare(inputs);
      await hospital.call('2305', { setl_id: stays[1]!.setlId }, region);
      return prepared;
    };
    try {
      await issue.handleMany!(events);
    } finally {
      certs.prepareRecordIssue = prepare;
    }
    const sealed = await Promise.all(stays.map((s) => statementsOf(s.setlId)));
    expect(sealed.map((rows) => rows.length)).toEqual([1, 0, 1]);
    const settlements = await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.psnNo, psnNo));
    const byId = new Map(settlements.map((s) => [s.setlId, s]));
    expect(byId.get(stays[1]!.setlId)!.status).toBe('cancelled');
    expect(byId.get(stays[1]!.setlId)!.certificateId).toBeNull();
    expect(byId.get(stays[0]!.setlId)!.certificateId).toBe(sealed[0]![0]!.id);
    expect(byId.get(stays[2]!.setlId)!.certificateId).toBe(sealed[2]![0]!.id);
  });

  it('issues to a person without an account, and revokes the statement when the settlement is cancelled or reversed', async () => {
    const psnNo = await ctx.services.insuranceAdmin.enrol({
      residentId: freshResidentId(),
      name: '韦大叔',
      scheme: 'resident',
      region: GUIGANG,
      fromDate: '2020-01-01',
    });
    const first = await settleStay(psnNo, '2026-09-01');
    await ctx.services.events.drain();
    const [issued] = await statementsOf(first.setlId);
    expect(issued!.holderId).toBe(derivedUuid('person', psnNo));
    expect(issued!.status).toBe('active');

    await hospital.call('2305', { setl_id: first.setlId }, region);
    await ctx.services.events.drain();
    const [cancelled] = await statementsOf(first.setlId);
    expect(cancelled!.status).toBe('revoked');
    expect(cancelled!.statusReason).toContain('撤销');
    const officer = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    const bundle = (await extractBundleFromPdf((await ctx.services.insurance.statementPdf(officer, first.setlId)).bytes))!;
    expect((await ctx.services.certificates.verify(bundle)).verdict).toBe('INVALID');

    // Settled again, then reversed (2601): a new statement, revoked in its turn; each settlement has one.
    const pre = (
      await hospital.call(
        '2303',
        {
          mdtrt_id: (await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, first.setlId)))[0]!
            .mdtrtId,
        },
        region,
      )
    ).answer.output!;
    const again = await hospital.call('2304', { mdtrt_id: pre.mdtrt_id, medfee_sumamt: pre.medfee_sumamt }, region);
    await ctx.services.events.drain();
    const second = again.answer.output!.setl_id as string;
    expect(await statementsOf(second)).toHaveLength(1);
    await hospital.call('2601', { omsgid: again.msgid, oinfno: '2304' }, region);
    await ctx.services.events.drain();
    const [reversed] = await statementsOf(second);
    expect(reversed!.status).toBe('revoked');
    expect(reversed!.statusReason).toContain('冲正');
    const [{ n }] = (
      await ctx.database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from certificates where type_code = ${STATEMENT_TYPE} and holder_id = ${derivedUuid('person', psnNo)}`,
      )
    ).rows as [{ n: number }];
    expect(n).toBe(2);

    // Cancelled before its event is handled: no statement at all, and the cancellation's handler has nothing to revoke.
    const quick = await settleStay(psnNo, '2026-09-20');
    await hospital.call('2305', { setl_id: quick.setlId }, region);
    await ctx.services.events.drain();
    expect(await statementsOf(quick.setlId)).toHaveLength(0);
    const [row] = await ctx.database.db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, quick.setlId));
    expect(row).toMatchObject({ status: 'cancelled', certificateId: null });
  });
});
