import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError, formatMessage } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import { maskResidentId, type Principal } from '../identity/index.ts';
import type { Sm2SigningKey } from '../sharing/index.ts';
import { testEngines } from '../../../test/db.ts';
import { buildTestApp, freshResidentId, PASSWORD } from '../../../test/factories.ts';
import {
  HEBEI,
  SHIJIAZHUANG,
  startInsuranceFederation,
  type FederationNode,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';
import { injectTransport } from '../../../test/insurance-fixture.ts';
import { createHospitalClient, HospitalCallError, type HospitalClient } from './hospital-client.ts';
import { SEED_CATALOGUE, SEED_POLICIES } from './insurance.seed.ts';
import { resolvePolicy } from './policies.ts';
import { settle, type FeeLine } from './settlement.ts';
import { BACKOFF_FIRST_MS, COPY_FRESH_FOR_MS } from './cross-province-person.ts';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Each node its own master key (as in service, the fixture's default): person numbers and keyed IDs
// differ between the nodes, so the ID number travels inside the signed call and each node keys it
// under its own key.
type Node = FederationNode;

const HOSPITAL = 'H45010300007';
/** A stay in Nanning: bed, nursing, a class-B drug (price-limited in the catalogue or not), a class-C drug. */
const STAY = [
  { feedetlSn: 'L1', code: '001102000010000', quantity: 6, unitPriceFen: 5_000 },
  { feedetlSn: 'L2', code: '001103000010000', quantity: 6, unitPriceFen: 3_500 },
  { feedetlSn: 'L3', code: 'XB01ABE005B002010100732', quantity: 10, unitPriceFen: 4_200 },
  { feedetlSn: 'L4', code: 'XN05CFZ017A001010101333', quantity: 2, unitPriceFen: 3_000 },
  { feedetlSn: 'L5', code: '001102000020000', quantity: 2, unitPriceFen: 9_000 },
];
const TOTAL = STAY.reduce((s, l) => s + l.quantity * l.unitPriceFen, 0);

/** B's engine run directly on the same lines, classified and priced by the seed catalogue (Guangxi's is the same seed). */
function expected(year: { deductibleUsedFen: number; fundPaidFen: number }, stayNumber: number, balanceFen: number, date: string) {
  const lines: FeeLine[] = STAY.map((l) => {
    const c = SEED_CATALOGUE.find((x) => x.code === l.code)!;
    return {
      id: l.feedetlSn,
      code: l.code,
      itemClass: c.cls,
      quantity: l.quantity,
      unitPriceFen: l.unitPriceFen,
      priceLimitFen: c.limit === undefined ? null : Math.round(c.limit * 100),
    };
  });
  const policy = resolvePolicy(SEED_POLICIES, {
    region: SHIJIAZHUANG,
    scheme: 'employee',
    level: 3,
    where: 'other_province',
    filed: false,
    emergency: false,
    stayNumber,
    date,
  });
  return settle(lines, policy, year, balanceFen);
}

async function one<T>(node: Node, query: ReturnType<typeof sql>): Promise<T> {
  const { rows } = await node.ctx.database.db.execute(query);
  return rows[0] as T;
}
const n = async (node: Node, query: ReturnType<typeof sql>) => Number((await one<{ n: number | string }>(node, query)).n);

describe.each(testEngines())('跨省异地就医结算: treated in Guangxi, insured in Hebei, settled by Hebei’s policy (%s)', (engine) => {
  let federation: TestFederation;
  let hebei: Node;
  let guangxi: Node;
  let clerk: Principal & { username: string };
  /** The Nanning hospital's own system, calling Guangxi's hospital interface (signed envelopes). */
  let hospital: HospitalClient;
  const today = chinaDate(new Date());
  /** The nodes' one clock (their signatures stay within each other's window); a test moves it forward only, after the others. */
  let aheadMs = 0;
  const clock = () => new Date(Date.now() + aheadMs);

  beforeAll(async () => {
    // Guangxi's calls give up after 1.5 s; one clock for the three nodes.
    let key: Sm2SigningKey;
    ({ federation, hebei, guangxi, key, clerk } = await startInsuranceFederation(
      engine,
      { all: { clock, federationTimeoutMs: 1500 } },
      { code: HOSPITAL, nameZh: '南宁市第一人民医院', nameEn: 'Nanning First People’s Hospital', creditSerial: '12130123YBH000077' },
    ));
    const platformKey = (await guangxi.app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' })).json<{
      keyId: string;
      publicKeySpki: string;
    }>();
    hospital = createHospitalClient({
      baseUrl: guangxi.url,
      hospital: { code: HOSPITAL, region: '450103', key },
      platformKey,
      transport: injectTransport(() => guangxi.app),
    });
  }, 180_000);

  afterAll(async () => {
    await federation?.close();
  });

  /**
   * An employee insured in 石家庄 (Hebei), with a personal account there; Guangxi holds a copy under
   * its own person number (its own master key), with no account. `atHebei: false`: a copy only.
   */
  async function patient(accountFen = 80_000, atHebei = true) {
    const residentId = freshResidentId();
    const enrol = { residentId, name: '李大爷', scheme: 'employee' as const, region: SHIJIAZHUANG, fromDate: '2020-01-01' };
    const psnNo = atHebei ? await hebei.ctx.services.insuranceAdmin.enrol({ ...enrol, accountBalanceFen: accountFen }) : '';
    const copy = await guangxi.ctx.services.insuranceAdmin.enrol(enrol);
    // Keyed under different master keys: the same person, two person numbers.
    expect(copy).not.toBe(psnNo);
    return { residentId, psnNo, copy };
  }

  async function stay(residentId: string) {
    const w = guangxi.ctx.services.insurance.window;
    const opened = await w.open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today });
    expect(opened).toMatchObject({ where: 'other_province' });
    await w.uploadFees(clerk, HOSPITAL, opened.mdtrtId, STAY);
    return opened.mdtrtId;
  }

  const year = Number(today.slice(0, 4));
  const totalsAt = (node: Node, psnNo: string) =>
    one<{ deductible_used_fen: string; fund_paid_fen: string; account_paid_fen: string; stays: number } | undefined>(
      node,
      sql`select * from insurance_year_totals where psn_no = ${psnNo} and year = ${year}`,
    );
  const balanceAt = async (node: Node, psnNo: string) =>
    Number((await one<{ b: string }>(node, sql`select account_balance_fen as b from insurance_persons where psn_no = ${psnNo}`)).b);

  it('calls a node synchronously: the signed answer now, a retried id answered from the first answer, rows and leaves on both sides', async () => {
    const id = '0b0e7a52-3c1d-4e5f-8a9b-112233445566';
    const first = await guangxi.ctx.services.federation.call(HEBEI, 'test.count', {}, { id });
    const again = await guangxi.ctx.services.federation.call(HEBEI, 'test.count', {}, { id });
    expect(first).toMatchObject({ id, replayed: false });
    expect(again).toMatchObject({ id, replayed: true, result: first.result });
    const fresh = await guangxi.ctx.services.federation.call(HEBEI, 'test.count', {});
    expect((fresh.result as { applied: number }).applied).toBe((first.result as { applied: number }).applied + 1);
    const out = await guangxi.ctx.services.federation.receipt('out', id);
    expect(out?.status).toBe('delivered');
    expect(out?.ledgerEntryId).toBeGreaterThan(0);
    const received = await hebei.ctx.services.federation.receipt('in', id);
    expect(received?.status).toBe('applied');
    expect(received?.ledgerEntryId).toBeGreaterThan(0);
    expect(await n(guangxi, sql`select count(*) as n from federation_messages where id = ${id}::uuid`)).toBe(1);
    // The same id with another payload is a conflict at the recipient; a type it does not handle is refused.
    const conflict = await guangxi.ctx.services.federation.call(HEBEI, 'test.count', { other: 1 }, { id }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 'FEDERATION_PEER_REFUSED', params: { code: 'FEDERATION_MESSAGE_CONFLICT' } });
    const unknown = await guangxi.ctx.services.federation.call(HEBEI, 'no.such-type', {}).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'FEDERATION_PEER_REFUSED', params: { code: 'FEDERATION_UNKNOWN_TYPE' } });
  });

  it('pre-settles and settles at the Guangxi window with Hebei’s policy, the figures of Hebei’s engine, and a retried msgid settles once on each side', async () => {
    const { residentId, psnNo } = await patient();
    // This year the person already used some of the fund at home: the cap and the deductible count from there.
    await hebei.ctx.database.db.execute(
      sql`insert into insurance_year_totals (psn_no, year, deductible_used_fen, fund_paid_fen, stays) values (${psnNo}, ${year}, 70000, 100000, 1)
          on conflict (psn_no, year) do update set deductible_used_fen = 70000, fund_paid_fen = 100000, stays = 1`,
    );
    const mdtrtId = await stay(residentId);
    const w = guangxi.ctx.services.insurance.window;
    const want = expected({ deductibleUsedFen: 70_000, fundPaidFen: 100_000 }, 2, 80_000, today);

    const pre = await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId });
    expect(pre.policy).toBe('130100-2026');
    expect(pre.amounts).toMatchObject({
      medfee_sumamt: TOTAL,
      hifp_pay: want.hifpPayFen,
      acct_pay: want.acctPayFen,
      psn_cash_pay: want.cashPayFen,
    });
    // Nothing settled by a pre-settlement, on either side.
    expect((await totalsAt(hebei, psnNo))?.stays).toBe(1);
    expect(Number((await totalsAt(hebei, psnNo))!.fund_paid_fen)).toBe(100_000);

    const settled = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'click-1');
    expect(settled.amounts).toEqual({
      medfee_sumamt: want.totalFen,
      fulamt_ownpay_amt: want.fulamtOwnpayFen,
      overlmt_selfpay: want.overlmtSelfpayFen,
      preselfpay_amt: want.preselfpayFen,
      inscp_scp_amt: want.inscpFen,
      act_pay_dedc: want.deductibleFen,
      hifp_pay: want.hifpPayFen,
      acct_pay: want.acctPayFen,
      psn_cash_pay: want.cashPayFen,
    });
    expect(want.overlmtSelfpayFen).toBeGreaterThan(0); // the single room is above its payment standard (A's catalogue)
    for (const line of settled.lines) expect(line.why.every((x) => x.policy === '130100-2026' && x.basis.includes('石家庄市'))).toBe(true);
    expect(settled.lines.map((l) => [l.id, l.totalFen, l.why.map((x) => x.rule)])).toEqual(
      want.lines.map((l) => [l.id, l.totalFen, l.why.map((x) => x.rule)]),
    );

    // Hebei: the person's year's totals and account moved by exactly this settlement; one row, for Guangxi's encounter.
    const totals = (await totalsAt(hebei, psnNo))!;
    expect(Number(totals.fund_paid_fen)).toBe(100_000 + want.hifpPayFen);
    expect(Number(totals.deductible_used_fen)).toBe(70_000 + want.deductibleFen);
    expect(totals.stays).toBe(2);
    expect(await balanceAt(hebei, psnNo)).toBe(80_000 - want.acctPayFen);
    expect(
      await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId} and status = 'settled'`),
    ).toBe(1);
    // Guangxi: the settlement under Hebei's policy version, the statement sealed by the usual handler.
    const row = await one<{ policy_version: string; insurance_region: string; hifp_pay_fen: string }>(
      guangxi,
      sql`select * from insurance_settlements where setl_id = ${settled.setlId}`,
    );
    expect(row).toMatchObject({ policy_version: '130100-2026', insurance_region: SHIJIAZHUANG });
    await until('the statement sealed', async () => {
      await guangxi.ctx.services.events.drain();
      return (await w.statement(clerk, HOSPITAL, settled.setlId)).certificateId !== null;
    });
    expect((await w.statement(clerk, HOSPITAL, settled.setlId)).policyVersion).toBe('130100-2026');

    // The same click again (the same msgid): the first answer, no second settlement anywhere.
    const again = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'click-1');
    expect(again.setlId).toBe(settled.setlId);
    expect(await n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`)).toBe(1);
    expect(await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId}`)).toBe(1);
    expect(Number((await totalsAt(hebei, psnNo))!.fund_paid_fen)).toBe(100_000 + want.hifpPayFen);

    // Both ledgers hold the call (digests only: no ID number, no name).
    for (const [node, kind] of [
      [guangxi, 'federation.sent'],
      [hebei, 'federation.received'],
    ] as const) {
      const { rows } = await node.ctx.database.db.execute<{ data: string }>(
        sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind = ${kind}
            union all select convert_from(data, 'UTF8') from ledger_entries where kind = ${kind}`,
      );
      const types = rows.map((r) => (JSON.parse(r.data) as { type: string }).type);
      expect(types).toContain('insurance.presettle');
      expect(types).toContain('insurance.settle');
      for (const r of rows) expect(r.data).not.toContain('李大爷');
      for (const r of rows) expect(r.data).not.toContain(residentId);
    }
    // The clear ID number is in no answer and no row but the signed message itself (kept for replays, as a hand-over's).
    expect(JSON.stringify([pre, settled])).not.toContain(residentId);
    for (const [node, q] of [
      [guangxi, sql`select row_to_json(l)::text as t from insurance_window_log l where mdtrt_id = ${mdtrtId}`],
      [guangxi, sql`select row_to_json(m)::text as t from insurance_messages m where response::text like ${`%${mdtrtId}%`}`],
      [hebei, sql`select row_to_json(r)::text as t from insurance_remote_settlements r where mdtrt_id = ${mdtrtId}`],
      [hebei, sql`select response::text as t from federation_messages where direction = 'in' and type like 'insurance.%'`],
    ] as const) {
      const { rows } = await node.ctx.database.db.execute<{ t: string }>(q);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.t).not.toContain(residentId);
    }
    // Hebei's row names Hebei's person (its own key), not Guangxi's copy.
    expect(
      await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId} and psn_no = ${psnNo}`),
    ).toBe(1);

    // 2305 at the window: Hebei's totals and account back exactly, the encounter open again.
    await w.cancel(clerk, HOSPITAL, settled.setlId, 'cancel-1', { residentId });
    const back = (await totalsAt(hebei, psnNo))!;
    expect(Number(back.fund_paid_fen)).toBe(100_000);
    expect(Number(back.deductible_used_fen)).toBe(70_000);
    expect(back.stays).toBe(1);
    expect(await balanceAt(hebei, psnNo)).toBe(80_000);
    expect(
      await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId} and status = 'cancelled'`),
    ).toBe(1);
    expect((await w.encounter(clerk, HOSPITAL, mdtrtId)).status).toBe('open');
    // The cancel retried: the first answer, nothing taken back twice.
    await w.cancel(clerk, HOSPITAL, settled.setlId, 'cancel-1', { residentId });
    expect(Number((await totalsAt(hebei, psnNo))!.fund_paid_fen)).toBe(100_000);
  });

  it('refuses an ID number Hebei does not insure, one that is not the encounter’s person, or none, and writes nothing on either side', async () => {
    // Guangxi's copy says 石家庄, but Hebei never enrolled the person: a copy Hebei confirmed a minute
    // ago (so the window opens the stay from it without asking) but no longer insures.
    const { residentId, copy } = await patient(80_000, false);
    await guangxi.ctx.database.db.execute(
      sql`update insurance_persons set confirmed_at = ${new Date(clock().getTime() - 60_000).toISOString()}::timestamptz where psn_no = ${copy}`,
    );
    const other = await patient();
    const mdtrtId = await stay(residentId);
    const w = guangxi.ctx.services.insurance.window;
    const count = async () => ({
      guangxi: {
        messages: await n(guangxi, sql`select count(*) as n from federation_messages`),
        settlements: await n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`),
        insurance: await n(guangxi, sql`select count(*) as n from insurance_messages`),
        presettled: await n(
          guangxi,
          sql`select count(*) as n from insurance_encounters where mdtrt_id = ${mdtrtId} and presettle_digest is not null`,
        ),
      },
      hebei: {
        messages: await n(hebei, sql`select count(*) as n from federation_messages`),
        remote: await n(hebei, sql`select count(*) as n from insurance_remote_settlements`),
        totals: await n(hebei, sql`select count(*) as n from insurance_year_totals`),
      },
    });
    const before = await count();

    const unknown = await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AppError);
    expect((unknown as AppError).code).toBe('INSURANCE_NOT_INSURED');
    expect((unknown as AppError).status).toBe(404);
    expect(formatMessage((unknown as AppError).code, (unknown as AppError).params, 'zh-CN')).toContain('参保地无此人员');
    expect(formatMessage((unknown as AppError).code, (unknown as AppError).params, 'en')).not.toContain(residentId);

    // Another person's ID card for this stay: refused at Guangxi before anything is sent.
    const wrong = await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId: other.residentId }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'INSURANCE_BAD_ENVELOPE' });
    expect(formatMessage((wrong as AppError).code, (wrong as AppError).params, 'en')).toContain('not the person of this encounter');
    // No ID card at all: a cross-province settlement needs it.
    const none = await w.presettle(clerk, HOSPITAL, mdtrtId).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'INSURANCE_BAD_ENVELOPE' });
    expect(formatMessage((none as AppError).code, (none as AppError).params, 'zh-CN')).toContain('跨省结算须读取患者身份证');
    const settled = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }).catch((e: unknown) => e);
    expect(settled).toMatchObject({ code: 'INSURANCE_SETTLEMENT_MISMATCH' }); // nothing pre-settled

    expect(await count()).toEqual(before);
    expect((await w.encounter(clerk, HOSPITAL, mdtrtId)).status).toBe('open');
  });

  it('settles once on each side when Hebei answers after Guangxi gave up, and the clerk retries the same msgid', async () => {
    const { residentId, psnNo } = await patient(0);
    const mdtrtId = await stay(residentId);
    const w = guangxi.ctx.services.insurance.window;
    await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId });
    // Hebei is slow: its settlement waits on the person's row, held past Guangxi's call limit (1.5 s).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = hebei.ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from insurance_persons where psn_no = ${psnNo} for update`);
      locked();
      await held;
    });
    await isLocked;
    const first = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'slow-1').catch((e: unknown) => e);
    release();
    await holder;
    expect(first).toBeInstanceOf(AppError);
    expect((first as AppError).code).toBe('INSURANCE_REMOTE_UNAVAILABLE');
    expect((first as AppError).status).toBe(503);
    expect(await n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`)).toBe(0);
    // Hebei settled meanwhile (its answer found nobody waiting).
    await until(
      'Hebei settled',
      async () => (await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId}`)) === 1,
    );

    const retried = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'slow-1');
    const want = expected({ deductibleUsedFen: 0, fundPaidFen: 0 }, 1, 0, today);
    expect(retried.amounts.hifp_pay).toBe(want.hifpPayFen);
    expect(await n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`)).toBe(1);
    expect(await n(hebei, sql`select count(*) as n from insurance_remote_settlements where mdtrt_id = ${mdtrtId}`)).toBe(1);
    expect(Number((await totalsAt(hebei, psnNo))!.fund_paid_fen)).toBe(want.hifpPayFen);
  });

  /** 1101 at Guangxi's hospital interface for a patient insured in 石家庄 (the envelope names the place of insurance). */
  const personInfo = (residentId: string) =>
    hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: residentId }, { insuranceRegion: SHIJIAZHUANG });
  const failure = async (p: Promise<unknown>) => {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HospitalCallError);
    return error as HospitalCallError;
  };
  const personCalls = (node: Node) => n(node, sql`select count(*) as n from federation_messages where type = 'insurance.person'`);
  const persons = (node: Node) => n(node, sql`select count(*) as n from insurance_persons`);

  it('fetches the coverage of a Hebei-insured patient Guangxi never registered at 1101, then settles the stay as before', async () => {
    const residentId = freshResidentId();
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '王建国',
      scheme: 'employee',
      region: SHIJIAZHUANG,
      fromDate: '2020-01-01',
      accountBalanceFen: 50_000,
    });
    const before = { persons: await persons(guangxi), calls: await personCalls(guangxi), hebeiPersons: await persons(hebei) };

    const { answer } = await personInfo(residentId);
    const out = answer.output as {
      baseinfo: { psn_no: string; psn_name: string; gend: string; brdy: string; certno: string };
      insuinfo: { insutype: string; insuplc_admdvs: string; psn_insu_stas: string; balc: number }[];
    };
    expect(out.baseinfo).toMatchObject({ psn_name: '王建国', certno: maskResidentId(residentId) });
    // Guangxi's own person number (its key), not Hebei's; no account here (Hebei's balance is not sent).
    expect(out.baseinfo.psn_no).not.toBe(psnNo);
    expect(out.baseinfo.psn_no.startsWith(SHIJIAZHUANG)).toBe(true);
    expect(out.insuinfo).toEqual([{ insutype: '310', insuplc_admdvs: SHIJIAZHUANG, psn_insu_stas: '1', balc: 0 }]);
    expect(JSON.stringify(answer)).not.toContain(residentId);
    expect(await persons(guangxi)).toBe(before.persons + 1);
    expect(await persons(hebei)).toBe(before.hebeiPersons);
    const copy = await one<{ region: string; account_balance_fen: string; id_masked: string; name: string }>(
      guangxi,
      sql`select * from insurance_persons where psn_no = ${out.baseinfo.psn_no}`,
    );
    expect(copy).toMatchObject({ region: SHIJIAZHUANG, id_masked: maskResidentId(residentId), name: '王建国' });
    expect(Number(copy.account_balance_fen)).toBe(0);
    expect(await personCalls(guangxi)).toBe(before.calls + 1);
    // Hebei's answer (kept with the call) holds no clear ID number, no account, no person number of Hebei's.
    const { rows } = await hebei.ctx.database.db.execute<{ t: string }>(
      sql`select response::text as t from federation_messages where direction = 'in' and type = 'insurance.person'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) for (const secret of [residentId, psnNo, '50000']) expect(r.t).not.toContain(secret);

    // Held here now: a second 1101 asks nobody.
    expect((await personInfo(residentId)).answer.output).toEqual(out);
    expect(await personCalls(guangxi)).toBe(before.calls + 1);

    // 2001, 2301, 2303, 2304 at the window, settled by Hebei as for a registered copy.
    const mdtrtId = await stay(residentId);
    const w = guangxi.ctx.services.insurance.window;
    await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId });
    const settled = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId });
    const want = expected({ deductibleUsedFen: 0, fundPaidFen: 0 }, 1, 50_000, today);
    expect(settled.amounts).toMatchObject({ hifp_pay: want.hifpPayFen, acct_pay: want.acctPayFen, psn_cash_pay: want.cashPayFen });
    expect(Number((await totalsAt(hebei, psnNo))!.fund_paid_fen)).toBe(want.hifpPayFen);
    expect(await balanceAt(hebei, psnNo)).toBe(50_000 - want.acctPayFen);
    expect(await balanceAt(guangxi, out.baseinfo.psn_no)).toBe(0);
  });

  it('refuses at 1101 an ID number Hebei does not insure, and writes nothing on either side', async () => {
    const residentId = freshResidentId();
    const count = async () => ({
      guangxi: { persons: await persons(guangxi), messages: await n(guangxi, sql`select count(*) as n from federation_messages`) },
      hebei: { persons: await persons(hebei), messages: await n(hebei, sql`select count(*) as n from federation_messages`) },
    });
    const before = await count();
    const error = await failure(personInfo(residentId));
    expect(error.status).toBe(404);
    expect(error.answer.err_code).toBe('INSURANCE_NOT_INSURED');
    expect(error.answer.err_msg).toContain('参保地无此人员');
    expect(error.answer.err_msg_en).toContain('no such person at the place of insurance');
    expect(JSON.stringify(error.answer)).not.toContain(residentId);
    // The window's look-up (its 1101) is refused alike.
    const atWindow = await guangxi.ctx.services.insurance.window.coverage(clerk, HOSPITAL, residentId).catch((e: unknown) => e);
    expect(atWindow).toMatchObject({ code: 'INSURANCE_NOT_INSURED' });
    expect(await count()).toEqual(before);
  });

  it('refuses with 503 INSURANCE_REMOTE_UNAVAILABLE when Hebei is down, and writes nothing in Guangxi', async () => {
    const { residentId, psnNo } = await patient();
    const mdtrtId = await stay(residentId);
    const w = guangxi.ctx.services.insurance.window;
    await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId });
    const count = async () => ({
      messages: await n(guangxi, sql`select count(*) as n from federation_messages`),
      settlements: await n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`),
      log: await n(guangxi, sql`select count(*) as n from insurance_window_log where mdtrt_id = ${mdtrtId}`),
      insurance: await n(guangxi, sql`select count(*) as n from insurance_messages`),
    });
    const before = await count();
    await hebei.app.close();
    try {
      const error = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'down-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      const e = error as AppError;
      expect(e.code).toBe('INSURANCE_REMOTE_UNAVAILABLE');
      expect(e.status).toBe(503);
      expect(formatMessage(e.code, e.params, 'zh-CN')).toContain('参保地 130100 的医保节点暂时无法访问');
      expect(formatMessage(e.code, e.params, 'en')).toContain('nothing was settled');
      expect(await count()).toEqual(before);
      expect((await w.encounter(clerk, HOSPITAL, mdtrtId)).status).toBe('open');
      const pre = await w.presettle(clerk, HOSPITAL, mdtrtId, { residentId }).catch((x: unknown) => x);
      expect((pre as AppError).code).toBe('INSURANCE_REMOTE_UNAVAILABLE');
      // Over HTTP at the window: 503, in Chinese by default and in English when asked.
      const login = await guangxi.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-auth-mode': 'bearer' },
        payload: { kind: 'staff', username: clerk.username, password: PASSWORD, channel: 'web' },
      });
      const token = login.json<{ token: string }>().token;
      for (const [lang, words] of [
        ['zh-CN', '医保节点暂时无法访问'],
        ['en', 'cannot be reached'],
      ] as const) {
        const res = await guangxi.app.inject({
          method: 'POST',
          url: `/api/insurance/window/${HOSPITAL}/encounters/${mdtrtId}/presettle`,
          headers: { authorization: `Bearer ${token}`, 'accept-language': lang },
          payload: { residentId },
        });
        expect(res.statusCode).toBe(503);
        expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'INSURANCE_REMOTE_UNAVAILABLE' });
        expect(res.json<{ error: { message: string } }>().error.message).toContain(words);
      }
      expect(await count()).toEqual(before);
      // 1101 for a patient Guangxi does not hold: 503, no copy registered.
      const absent = freshResidentId();
      const personsBefore = await persons(guangxi);
      const info = await failure(personInfo(absent));
      expect(info.status).toBe(503);
      expect(info.answer.err_code).toBe('INSURANCE_REMOTE_UNAVAILABLE');
      expect(JSON.stringify(info.answer)).not.toContain(absent);
      expect(await persons(guangxi)).toBe(personsBefore);
      expect(await count()).toEqual(before);
    } finally {
      hebei.app = await buildTestApp(hebei.ctx);
      await hebei.app.listen({ host: '127.0.0.1', port: hebei.port });
    }
    // Hebei back: the same msgid settles, once.
    const settled = await w.settle(clerk, HOSPITAL, mdtrtId, { medfeeSumamt: TOTAL, residentId }, 'down-1');
    expect(settled.amounts.medfee_sumamt).toBe(TOTAL);
    expect(await n(hebei, sql`select count(*) as n from insurance_remote_settlements where psn_no = ${psnNo}`)).toBe(1);
  });
  /** Restarts Hebei's server after a test closed it. */
  const restartHebei = async () => {
    hebei.app = await buildTestApp(hebei.ctx);
    await hebei.app.listen({ host: '127.0.0.1', port: hebei.port });
  };

  it('refuses for good (404 INSURANCE_REGION_NOT_FEDERATED) a place of insurance whose province has no node in the directory, and writes nothing', async () => {
    const JIANGSU = '320100'; // 南京市: no node of Jiangsu in the directory
    const count = async () => ({
      guangxi: {
        persons: await persons(guangxi),
        history: await n(guangxi, sql`select count(*) as n from insurance_person_history`),
        messages: await n(guangxi, sql`select count(*) as n from federation_messages`),
        insurance: await n(guangxi, sql`select count(*) as n from insurance_messages`),
      },
      hebei: { persons: await persons(hebei), messages: await n(hebei, sql`select count(*) as n from federation_messages`) },
    });
    const before = await count();

    // 1101 over the hospital interface for a patient Guangxi does not hold: a signed refusal, final.
    const absent = freshResidentId();
    const info = await failure(hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: absent }, { insuranceRegion: JIANGSU }));
    expect(info.status).toBe(404);
    expect(info.answer).toMatchObject({ infcode: -1, err_code: 'INSURANCE_REGION_NOT_FEDERATED' });
    expect(info.answer.err_msg).toContain(`参保地 ${JIANGSU} 所在省份没有医保节点在跨省通办联邦目录中`);
    expect(info.answer.err_msg).toContain('重试不会成功');
    expect(info.answer.err_msg_en).toContain(`${JIANGSU} has no insurance node in the federation directory`);
    expect(info.answer.err_msg_en).toContain('retrying will not help');
    expect(JSON.stringify(info.answer)).not.toContain(absent);
    expect(await count()).toEqual(before);

    // 2303 for a stay of a person Guangxi registered as insured in 南京: refused alike, at the window and at the interface.
    const residentId = freshResidentId();
    await guangxi.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '赵一',
      scheme: 'employee',
      region: JIANGSU,
      fromDate: '2020-01-01',
    });
    const w = guangxi.ctx.services.insurance.window;
    const opened = await w.open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today });
    await w.uploadFees(clerk, HOSPITAL, opened.mdtrtId, STAY);
    const held = await count();
    const pre = await w.presettle(clerk, HOSPITAL, opened.mdtrtId, { residentId }).catch((e: unknown) => e);
    expect(pre).toBeInstanceOf(AppError);
    expect((pre as AppError).code).toBe('INSURANCE_REGION_NOT_FEDERATED');
    expect((pre as AppError).status).toBe(404);
    expect(formatMessage((pre as AppError).code, (pre as AppError).params, 'zh-CN')).toContain(`参保地 ${JIANGSU}`);
    const viaInterface = await failure(
      hospital.call('2303', { mdtrt_id: opened.mdtrtId, mdtrt_cert_type: '02', mdtrt_cert_no: residentId }, { insuranceRegion: JIANGSU }),
    );
    expect(viaInterface.status).toBe(404);
    expect(viaInterface.answer.err_code).toBe('INSURANCE_REGION_NOT_FEDERATED');
    expect(await count()).toEqual(held);
    expect(
      await n(
        guangxi,
        sql`select count(*) as n from insurance_encounters where mdtrt_id = ${opened.mdtrtId} and presettle_digest is not null`,
      ),
    ).toBe(0);

    // 1101 for that person: answered from Guangxi's record, with a warning that 南京 could not be asked.
    const { answer } = await hospital.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: residentId }, { insuranceRegion: JIANGSU });
    expect(answer.output).toMatchObject({ baseinfo: { psn_name: '赵一' }, insuinfo: [{ insuplc_admdvs: JIANGSU, psn_insu_stas: '1' }] });
    expect(answer.warn_msg).toContain(`参保地 ${JIANGSU} 所在省份没有医保节点在联邦目录中`);
    expect(answer.warn_msg).toContain('未经参保地核实');
    expect(answer.warn_msg_en).toContain('never confirmed by the place of insurance');
    expect(await count()).toEqual(held);
  });

  it('refreshes Guangxi’s copy from Hebei at 1101 once it is older than COPY_FRESH_FOR_MS, asks nobody before, and answers from the copy when Hebei is down', async () => {
    const residentId = freshResidentId();
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '孙小梅',
      scheme: 'employee',
      region: SHIJIAZHUANG,
      fromDate: '2020-01-01',
      accountBalanceFen: 20_000,
    });
    type Out = {
      baseinfo: { psn_no: string; psn_name: string };
      insuinfo: { insutype: string; insuplc_admdvs: string; psn_insu_stas: string; balc: number }[];
    };
    const calls = async () => ({
      guangxi: await personCalls(guangxi),
      hebei: await n(hebei, sql`select count(*) as n from federation_messages where direction = 'in' and type = 'insurance.person'`),
    });
    const history = (copy: string) => n(guangxi, sql`select count(*) as n from insurance_person_history where psn_no = ${copy}`);

    const first = await personInfo(residentId);
    const out = first.answer.output as Out;
    expect(first.answer.warn_msg).toBeUndefined();
    expect(out.insuinfo).toEqual([{ insutype: '310', insuplc_admdvs: SHIJIAZHUANG, psn_insu_stas: '1', balc: 0 }]);
    const asked = await calls();
    const copies = await persons(guangxi);
    expect(await history(out.baseinfo.psn_no)).toBe(1);

    // Hebei suspends the person, moves them to the residents' scheme and corrects the name.
    await hebei.ctx.services.insuranceAdmin.change(psnNo, { status: 'suspended', scheme: 'resident', fromDate: today, reason: 'test' });
    await hebei.ctx.database.db.execute(sql`update insurance_persons set name = '孙晓梅' where psn_no = ${psnNo}`);

    // Within the window: the copy answers, nobody is asked.
    aheadMs += COPY_FRESH_FOR_MS - 60_000;
    const within = await personInfo(residentId);
    expect(within.answer.output).toEqual(out);
    expect(await calls()).toEqual(asked);

    // Past it: Hebei is asked once, and the copy (the same person number) is as Hebei answers, the change in its history.
    aheadMs += 2 * 60_000;
    const after = await personInfo(residentId);
    const refreshed = after.answer.output as Out;
    expect(after.answer.warn_msg).toBeUndefined();
    expect(refreshed.baseinfo).toMatchObject({ psn_no: out.baseinfo.psn_no, psn_name: '孙晓梅' });
    expect(refreshed.insuinfo).toEqual([{ insutype: '390', insuplc_admdvs: SHIJIAZHUANG, psn_insu_stas: '0', balc: 0 }]);
    expect(await calls()).toEqual({ guangxi: asked.guangxi + 1, hebei: asked.hebei + 1 });
    expect(await persons(guangxi)).toBe(copies);
    expect(await history(out.baseinfo.psn_no)).toBe(2);
    const row = await one<{ status: string; scheme: string; name: string; account_balance_fen: string; confirmed_at: Date | string }>(
      guangxi,
      sql`select * from insurance_persons where psn_no = ${out.baseinfo.psn_no}`,
    );
    expect(row).toMatchObject({ status: 'suspended', scheme: 'resident', name: '孙晓梅' });
    expect(Number(row.account_balance_fen)).toBe(0);
    // Confirmed again just now: the next 1101 asks nobody.
    expect((await personInfo(residentId)).answer.output).toEqual(refreshed);
    expect(await calls()).toEqual({ guangxi: asked.guangxi + 1, hebei: asked.hebei + 1 });

    // Hebei unchanged and asked again after the window: the copy is confirmed, nothing else written.
    aheadMs += COPY_FRESH_FOR_MS + 60_000;
    expect((await personInfo(residentId)).answer.output).toEqual(refreshed);
    expect(await calls()).toEqual({ guangxi: asked.guangxi + 2, hebei: asked.hebei + 2 });
    expect(await history(out.baseinfo.psn_no)).toBe(2);
    const confirmedAt = new Date(
      (
        await one<{ at: Date | string }>(
          guangxi,
          sql`select confirmed_at as at from insurance_persons where psn_no = ${out.baseinfo.psn_no}`,
        )
      ).at,
    );
    expect(Math.abs(confirmedAt.getTime() - clock().getTime())).toBeLessThan(60_000);

    // Hebei down, the copy stale: 1101 answers from the copy, and says so; nothing written.
    aheadMs += COPY_FRESH_FOR_MS + 60_000;
    const written = async () => ({
      persons: await persons(guangxi),
      history: await history(out.baseinfo.psn_no),
      messages: await n(guangxi, sql`select count(*) as n from federation_messages`),
      confirmed: (
        await one<{ at: unknown }>(
          guangxi,
          sql`select confirmed_at::text as at from insurance_persons where psn_no = ${out.baseinfo.psn_no}`,
        )
      ).at,
    });
    const before = await written();
    await hebei.app.close();
    try {
      const down = await personInfo(residentId);
      expect(down.answer.infcode).toBe(0);
      expect(down.answer.output).toEqual(refreshed);
      expect(down.answer.warn_msg).toContain(
        `参保地 ${SHIJIAZHUANG} 的医保节点暂时无法访问，以下为本节点保存的参保信息（最后核实于 ${confirmedAt.toISOString()}）`,
      );
      expect(down.answer.warn_msg_en).toContain(`${SHIJIAZHUANG} cannot be reached; this is the copy held here (last confirmed at`);
      expect(JSON.stringify(down.answer)).not.toContain(residentId);
      expect(await written()).toEqual(before);
    } finally {
      await restartHebei();
    }
    // Hebei back: asked again once the back-off that failure began is over, and the copy confirmed.
    aheadMs += BACKOFF_FIRST_MS;
    const back = await personInfo(residentId);
    expect(back.answer.warn_msg).toBeUndefined();
    expect(back.answer.output).toEqual(refreshed);
    expect(await calls()).toEqual({ guangxi: asked.guangxi + 3, hebei: asked.hebei + 3 });
  });

  it('refuses at 1101 a stale copy of a person Hebei does not insure (Hebei’s answer, not the copy), and writes nothing', async () => {
    // Guangxi registered the person as insured in 石家庄 itself (never confirmed by Hebei), Hebei never enrolled them.
    const { residentId, copy } = await patient(0, false);
    const before = { history: await n(guangxi, sql`select count(*) as n from insurance_person_history where psn_no = ${copy}`) };
    const error = await failure(personInfo(residentId));
    expect(error.status).toBe(404);
    expect(error.answer.err_code).toBe('INSURANCE_NOT_INSURED');
    expect(error.answer.err_msg).toContain('参保地无此人员');
    expect({ history: await n(guangxi, sql`select count(*) as n from insurance_person_history where psn_no = ${copy}`) }).toEqual(before);
    expect(
      (await one<{ at: unknown }>(guangxi, sql`select confirmed_at as at from insurance_persons where psn_no = ${copy}`)).at,
    ).toBeNull();
  });

  /** Runs `work` counting the insurance.person calls Guangxi makes to Hebei, answered or not. */
  async function counting<T>(work: () => Promise<T>): Promise<{ value: T; asked: number }> {
    const spy = vi.spyOn(guangxi.ctx.services.federation, 'call');
    try {
      const value = await work();
      return { value, asked: spy.mock.calls.filter((c) => c[1] === 'insurance.person').length };
    } finally {
      spy.mockRestore();
    }
  }
  const hebeiPersonCalls = () =>
    n(hebei, sql`select count(*) as n from federation_messages where direction = 'in' and type = 'insurance.person'`);
  /** A person insured in 石家庄 whose copy Guangxi fetched at the window's look-up, now older than COPY_FRESH_FOR_MS. */
  async function staleCopy(name: string) {
    const residentId = freshResidentId();
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({
      residentId,
      name,
      scheme: 'employee',
      region: SHIJIAZHUANG,
      fromDate: '2020-01-01',
    });
    const first = await guangxi.ctx.services.insurance.window.coverage(clerk, HOSPITAL, residentId);
    expect(first).toMatchObject({ name, status: 'active', scheme: 'employee', warning: null });
    aheadMs += COPY_FRESH_FOR_MS + 60_000;
    return { residentId, psnNo, copy: first.psnNo };
  }
  const copyRow = (copy: string) =>
    one<{ name: string; status: string; confirmed_at: string | null; history: number | string }>(
      guangxi,
      sql`select name, status, confirmed_at::text as confirmed_at,
            (select count(*) from insurance_person_history h where h.psn_no = p.psn_no) as history
          from insurance_persons p where psn_no = ${copy}`,
    );

  it('refreshes a stale copy at the window’s look-up as 1101 does: Hebei’s change shows, Hebei asked once', async () => {
    const { residentId, psnNo, copy } = await staleCopy('周小燕');
    await hebei.ctx.services.insuranceAdmin.change(psnNo, { status: 'suspended', scheme: 'resident', fromDate: today, reason: 'test' });
    await hebei.ctx.database.db.execute(sql`update insurance_persons set name = '周晓燕' where psn_no = ${psnNo}`);
    const before = await hebeiPersonCalls();
    const w = guangxi.ctx.services.insurance.window;

    const { value: seen, asked } = await counting(() => w.coverage(clerk, HOSPITAL, residentId));
    expect(asked).toBe(1);
    expect(seen).toMatchObject({ psnNo: copy, name: '周晓燕', status: 'suspended', scheme: 'resident', warning: null });
    expect(await hebeiPersonCalls()).toBe(before + 1);
    expect(await copyRow(copy)).toMatchObject({ name: '周晓燕', status: 'suspended' });
    // Confirmed just now: the next look-up asks nobody, and the suspended person's stay is refused at 2001.
    const again = await counting(() => w.coverage(clerk, HOSPITAL, residentId));
    expect(again.asked).toBe(0);
    const opened = await counting(() => w.open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today }).catch((e: unknown) => e));
    expect(opened.asked).toBe(0);
    expect(opened.value).toBeInstanceOf(AppError);
    expect(await n(guangxi, sql`select count(*) as n from insurance_encounters where psn_no = ${copy}`)).toBe(0);
  });

  it('answers the window’s look-up from a stale copy with a warning when Hebei is down, opens the stay from it, and writes nothing of the copy', async () => {
    const { residentId, copy } = await staleCopy('吴国平');
    const w = guangxi.ctx.services.insurance.window;
    const held = await copyRow(copy);
    const guangxiCalls = await personCalls(guangxi);
    await hebei.app.close();
    try {
      const { value: seen, asked } = await counting(() => w.coverage(clerk, HOSPITAL, residentId));
      expect(asked).toBe(1);
      expect(seen).toMatchObject({ psnNo: copy, name: '吴国平', status: 'active' });
      expect(seen.warning?.zh).toContain(`参保地 ${SHIJIAZHUANG} 的医保节点暂时无法访问，以下为本节点保存的参保信息（最后核实于`);
      expect(seen.warning?.en).toContain(`${SHIJIAZHUANG} cannot be reached; this is the copy held here (last confirmed at`);
      expect(JSON.stringify(seen)).not.toContain(residentId);
      expect(await copyRow(copy)).toEqual(held);
      expect(await personCalls(guangxi)).toBe(guangxiCalls);
      // The window's log says the answer came from a copy the place of insurance did not confirm.
      const logged = await one<{ detail: unknown }>(
        guangxi,
        sql`select detail from insurance_window_log where psn_no = ${copy} and action = 'coverage' order by at desc limit 1`,
      );
      expect(typeof logged.detail === 'string' ? JSON.parse(logged.detail) : logged.detail).toEqual({ found: true, unconfirmedCopy: true });
      // Over HTTP, the answer carries the warning in both languages.
      const login = await guangxi.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-auth-mode': 'bearer' },
        payload: { kind: 'staff', username: clerk.username, password: PASSWORD, channel: 'web' },
      });
      const res = await guangxi.app.inject({
        method: 'POST',
        url: `/api/insurance/window/${HOSPITAL}/coverage`,
        headers: { authorization: `Bearer ${login.json<{ token: string }>().token}` },
        payload: { residentId },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ warning: unknown }>().warning).toEqual(seen.warning);
      // 2001 on the copy goes on, as 1101 answers it (the back-off that failure began: nobody asked).
      const opened = await counting(() => w.open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today }));
      expect(opened.asked).toBe(0);
      expect(opened.value).toMatchObject({ where: 'other_province' });
      expect(await copyRow(copy)).toEqual(held);
    } finally {
      await restartHebei();
    }
    // Hebei back, past the back-off: asked, and the copy confirmed, with no warning.
    aheadMs += BACKOFF_FIRST_MS;
    const back = await counting(() => w.coverage(clerk, HOSPITAL, residentId));
    expect(back.asked).toBe(1);
    expect(back.value.warning).toBeNull();
    expect((await copyRow(copy)).confirmed_at).not.toBe(held.confirmed_at);
  });

  it('refuses at the window a stale copy Hebei does not insure, at the look-up, the filing and 2001, and writes nothing', async () => {
    // Guangxi registered the person as insured in 石家庄 itself (never confirmed by Hebei); Hebei never enrolled them.
    const { residentId, copy } = await patient(0, false);
    const w = guangxi.ctx.services.insurance.window;
    const count = async () => ({
      copy: await copyRow(copy),
      log: await n(guangxi, sql`select count(*) as n from insurance_window_log where psn_no = ${copy}`),
      encounters: await n(guangxi, sql`select count(*) as n from insurance_encounters where psn_no = ${copy}`),
      messages: await n(guangxi, sql`select count(*) as n from federation_messages`),
      filings: await n(guangxi, sql`select count(*) as n from insurance_filings where psn_no = ${copy}`),
    });
    const before = await count();
    for (const attempt of [
      () => w.coverage(clerk, HOSPITAL, residentId),
      () => w.file(clerk, HOSPITAL, { residentId, kind: 'temporary', startDate: today }),
      () => w.open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today }),
    ]) {
      const { value: error, asked } = await counting(() => attempt().catch((e: unknown) => e));
      expect(asked).toBe(1);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('INSURANCE_NOT_INSURED');
      expect(formatMessage((error as AppError).code, (error as AppError).params, 'zh-CN')).toContain('参保地无此人员');
    }
    expect(await count()).toEqual(before);
    expect(before.copy.confirmed_at).toBeNull();
  });

  it('backs off Hebei while it cannot be reached: a stale copy answered at once with the warning, asked again after the back-off, doubled at each failure', async () => {
    const residentId = freshResidentId();
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '郑秀兰',
      scheme: 'employee',
      region: SHIJIAZHUANG,
      fromDate: '2020-01-01',
    });
    const copy = (await personInfo(residentId)).answer.output as { baseinfo: { psn_no: string } };
    aheadMs += COPY_FRESH_FOR_MS + 60_000;
    const unreachable = `参保地 ${SHIJIAZHUANG} 的医保节点暂时无法访问`;
    const ask = () => counting(() => personInfo(residentId));

    // Hebei down: the first stale 1101 asks (and fails), and answers from the copy with the warning.
    await hebei.app.close();
    try {
      const down = await ask();
      expect(down.asked).toBe(1);
      expect(down.value.answer.warn_msg).toContain(unreachable);
      // A person Guangxi does not hold is still asked for (there is no copy to answer from): 503.
      const absent = await counting(() => failure(personInfo(freshResidentId())));
      expect(absent.asked).toBe(1);
      expect(absent.value.answer.err_code).toBe('INSURANCE_REMOTE_UNAVAILABLE');
    } finally {
      await restartHebei();
    }
    await hebei.ctx.database.db.execute(sql`update insurance_persons set name = '郑秀岚' where psn_no = ${psnNo}`);
    const hebeiBefore = await hebeiPersonCalls();

    // Hebei back, within the back-off: the copy answers at once with the warning, Hebei gets no message.
    const within = await ask();
    expect(within.asked).toBe(0);
    expect(within.value.answer.infcode).toBe(0);
    expect(within.value.answer.warn_msg).toContain(unreachable);
    expect(within.value.answer.output).toMatchObject({ baseinfo: { psn_no: copy.baseinfo.psn_no, psn_name: '郑秀兰' } });
    expect(await hebeiPersonCalls()).toBe(hebeiBefore);

    // Past it: Hebei is asked, and the copy is refreshed.
    aheadMs += BACKOFF_FIRST_MS;
    const past = await ask();
    expect(past.asked).toBe(1);
    expect(past.value.answer.warn_msg).toBeUndefined();
    expect(past.value.answer.output).toMatchObject({ baseinfo: { psn_no: copy.baseinfo.psn_no, psn_name: '郑秀岚' } });
    expect(await hebeiPersonCalls()).toBe(hebeiBefore + 1);

    // Down again, the copy stale: the first failure backs off BACKOFF_FIRST_MS again (the answer reset it), the next one twice that.
    aheadMs += COPY_FRESH_FOR_MS + 60_000;
    await hebei.app.close();
    try {
      expect((await ask()).asked).toBe(1);
      aheadMs += BACKOFF_FIRST_MS;
      expect((await ask()).asked).toBe(1);
      aheadMs += BACKOFF_FIRST_MS;
      const doubled = await ask();
      expect(doubled.asked).toBe(0);
      expect(doubled.value.answer.warn_msg).toContain(unreachable);
      aheadMs += BACKOFF_FIRST_MS;
      expect((await ask()).asked).toBe(1);
    } finally {
      await restartHebei();
    }
    // Back: asked once the (now fourfold) back-off is over, which ends it.
    aheadMs += 4 * BACKOFF_FIRST_MS;
    const again = await ask();
    expect(again.asked).toBe(1);
    expect(again.value.answer.warn_msg).toBeUndefined();
  });
});
