import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, formatMessage } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import { maskResidentId, type Principal } from '../identity/index.ts';
import { testEngines } from '../../../test/db.ts';
import { buildTestApp, freshResidentId, PASSWORD } from '../../../test/factories.ts';
import {
  GUANGXI,
  HEBEI,
  SHIJIAZHUANG,
  startInsuranceFederation,
  type FederationNode,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';
import { SEED_CATALOGUE } from './insurance.seed.ts';
import { ORPHAN_AFTER_MS, RETRY_MAX_MS, RETRY_MIN_MS } from './cross-province-orphans.ts';
import { insuranceRegions } from './insurance.tables.ts';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Node = FederationNode;

const HOSPITAL = 'H45010300008';
const STAY = [
  { feedetlSn: 'L1', code: '001102000010000', quantity: 6, unitPriceFen: 5_000 },
  { feedetlSn: 'L2', code: '001103000010000', quantity: 6, unitPriceFen: 3_500 },
  { feedetlSn: 'L3', code: 'XB01ABE005B002010100732', quantity: 10, unitPriceFen: 4_200 },
];
/** A line the hospital adds while the settlement is under way (A's write then finds the encounter changed). */
const LATE = { feedetlSn: 'L9', code: '001102000020000', quantity: 1, unitPriceFen: 9_000 };
const total = (lines: readonly { quantity: number; unitPriceFen: number }[]) => lines.reduce((s, l) => s + l.quantity * l.unitPriceFen, 0);

async function rows<T>(node: Node, query: ReturnType<typeof sql>): Promise<T[]> {
  return (await node.ctx.database.db.execute(query)).rows as T[];
}
const n = async (node: Node, query: ReturnType<typeof sql>) => Number((await rows<{ n: number | string }>(node, query))[0]!.n);

describe.each(testEngines())('跨省结算的孤儿结算: Hebei settled, Guangxi never did; found and withdrawn (%s)', (engine) => {
  let federation: TestFederation;
  let hebei: Node;
  let guangxi: Node;
  let clerk: Principal & { username: string };
  const today = chinaDate(new Date());
  const year = Number(today.slice(0, 4));
  /** The nodes' one clock; a test moves it forward only. */
  let aheadMs = 0;
  const clock = () => new Date(Date.now() + aheadMs);

  beforeAll(async () => {
    // Calls wait up to 10 s: a test holds Hebei's answer back while it changes the encounter at Guangxi.
    ({ federation, hebei, guangxi, clerk } = await startInsuranceFederation(
      engine,
      { all: { clock, federationTimeoutMs: 10_000 } },
      { code: HOSPITAL, nameZh: '南宁市第二人民医院', nameEn: 'Nanning Second People’s Hospital', creditSerial: '12130123YBH000078' },
    ));
  }, 180_000);

  afterAll(async () => {
    await federation?.close();
  });

  const w = () => guangxi.ctx.services.insurance.window;
  const reconcile = () => guangxi.ctx.services.insurance.reconcileCrossProvinceOrphans();

  /** An employee insured in 石家庄, with Guangxi's copy; their stay at the Nanning hospital, pre-settled. */
  async function presettledStay() {
    const residentId = freshResidentId();
    const enrol = { residentId, name: '王大娘', scheme: 'employee' as const, region: SHIJIAZHUANG, fromDate: '2020-01-01' };
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({ ...enrol, accountBalanceFen: 0 });
    await guangxi.ctx.services.insuranceAdmin.enrol(enrol);
    const opened = await w().open(clerk, HOSPITAL, { residentId, medType: '21', beginDate: today });
    expect(opened).toMatchObject({ where: 'other_province' });
    await w().uploadFees(clerk, HOSPITAL, opened.mdtrtId, STAY);
    await w().presettle(clerk, HOSPITAL, opened.mdtrtId, { residentId });
    return { residentId, psnNo, mdtrtId: opened.mdtrtId };
  }

  const totalsAt = async (psnNo: string) => {
    const [t] = await rows<{ deductible_used_fen: string; fund_paid_fen: string; account_paid_fen: string; stays: number }>(
      hebei,
      sql`select deductible_used_fen, fund_paid_fen, account_paid_fen, stays from insurance_year_totals where psn_no = ${psnNo} and year = ${year}`,
    );
    return t
      ? { deductible: Number(t.deductible_used_fen), fund: Number(t.fund_paid_fen), account: Number(t.account_paid_fen), stays: t.stays }
      : null;
  };
  const remoteAt = (mdtrtId: string) =>
    rows<{ ref: string; status: string }>(
      hebei,
      sql`select ref::text as ref, status from insurance_remote_settlements where mdtrt_id = ${mdtrtId}`,
    );
  const intentsOf = (mdtrtId: string) =>
    rows<{ call_id: string; state: string; msgid: string }>(
      guangxi,
      sql`select call_id::text as call_id, state, msgid from insurance_remote_intents where mdtrt_id = ${mdtrtId}`,
    );
  const settlementsAt = (mdtrtId: string) => n(guangxi, sql`select count(*) as n from insurance_settlements where mdtrt_id = ${mdtrtId}`);

  /**
   * The settlement Hebei commits and Guangxi does not: Hebei's answer held back (the person's row
   * locked there) until the hospital added a fee line at Guangxi, so that Guangxi's transaction finds
   * the encounter changed and rolls back. The hospital never retries that msgid.
   */
  async function orphan(key: string) {
    const stay = await presettledStay();
    const before = await totalsAt(stay.psnNo);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = hebei.ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from insurance_persons where psn_no = ${stay.psnNo} for update`);
      locked();
      await held;
    });
    await isLocked;
    const settling = w()
      .settle(clerk, HOSPITAL, stay.mdtrtId, { medfeeSumamt: total(STAY), residentId: stay.residentId }, key)
      .catch((e: unknown) => e);
    try {
      await until('the intent recorded', async () => (await intentsOf(stay.mdtrtId)).length === 1);
      await w().uploadFees(clerk, HOSPITAL, stay.mdtrtId, [LATE]);
    } finally {
      release();
      await holder;
    }
    const failed = await settling;
    expect(failed).toBeInstanceOf(AppError);
    expect((failed as AppError).code).toBe('INSURANCE_SETTLEMENT_MISMATCH');
    // Hebei settled (the totals count it), Guangxi did not.
    expect((await remoteAt(stay.mdtrtId)).map((r) => r.status)).toEqual(['settled']);
    const after = (await totalsAt(stay.psnNo))!;
    expect(after.fund).toBeGreaterThan(before?.fund ?? 0);
    expect(after.stays).toBe((before?.stays ?? 0) + 1);
    expect(await settlementsAt(stay.mdtrtId)).toBe(0);
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['pending']);
    return { ...stay, before, key };
  }

  const retry = (o: { mdtrtId: string; residentId: string; key: string }) =>
    w()
      .settle(clerk, HOSPITAL, o.mdtrtId, { medfeeSumamt: total(STAY), residentId: o.residentId }, o.key)
      .catch((e: unknown) => e);

  it('withdraws at Hebei, after ORPHAN_AFTER_MS, a settlement Guangxi’s transaction never completed; the msgid is refused for good and a new one settles once', async () => {
    const o = await orphan('orphan-a');

    // Within ORPHAN_AFTER_MS (the hospital may still retry): nothing is done.
    aheadMs += ORPHAN_AFTER_MS - 60_000;
    await reconcile();
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['pending']);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['settled']);

    // Past it: refused here, cancelled at Hebei, Hebei's year's totals back where they were.
    aheadMs += 2 * 60_000;
    const run = await reconcile();
    expect(run.abandoned).toBeGreaterThanOrEqual(1);
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoned']);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['cancelled']);
    expect(await totalsAt(o.psnNo)).toEqual(o.before ?? { deductible: 0, fund: 0, account: 0, stays: 0 });
    // Both ledgers say so: the abandonment at Guangxi, the cancellation at Hebei.
    const leaves = (node: Node) =>
      rows<{ data: string }>(
        node,
        sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind = 'insurance.settlement'
            union all select convert_from(data, 'UTF8') from ledger_entries where kind = 'insurance.settlement'`,
      );
    const [intent] = await intentsOf(o.mdtrtId);
    expect((await leaves(guangxi)).some((l) => l.data.includes('"abandoned"') && l.data.includes(intent!.call_id))).toBe(true);
    expect((await leaves(hebei)).some((l) => l.data.includes('cancelled-for-another-province') && l.data.includes(intent!.call_id))).toBe(
      true,
    );

    // The hospital retries that msgid late: refused (never Hebei's old answer), nothing settled anywhere.
    const late = await retry(o);
    expect(late).toBeInstanceOf(AppError);
    const e = late as AppError;
    expect(e.code).toBe('INSURANCE_SETTLEMENT_ABANDONED');
    expect(e.status).toBe(409);
    expect(formatMessage(e.code, e.params, 'zh-CN')).toContain('已在参保地撤回');
    expect(formatMessage(e.code, e.params, 'en')).toContain('pre-settle and settle again with a new msgid');
    expect(await settlementsAt(o.mdtrtId)).toBe(0);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['cancelled']);

    // Pre-settled again and settled with new msgids: once on each side, the new lines included.
    await w().presettle(clerk, HOSPITAL, o.mdtrtId, { residentId: o.residentId });
    const settled = await w().settle(
      clerk,
      HOSPITAL,
      o.mdtrtId,
      { medfeeSumamt: total([...STAY, LATE]), residentId: o.residentId },
      'orphan-a-again',
    );
    expect(settled.amounts.medfee_sumamt).toBe(total([...STAY, LATE]));
    expect(await settlementsAt(o.mdtrtId)).toBe(1);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status).sort()).toEqual(['cancelled', 'settled']);
    const totals = (await totalsAt(o.psnNo))!;
    expect(totals.fund).toBe((o.before?.fund ?? 0) + settled.amounts.hifp_pay);
    expect(totals.stays).toBe((o.before?.stays ?? 0) + 1);
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state).sort()).toEqual(['abandoned', 'settled']);
  });

  it('leaves a normal settlement alone: its intent is settled in the settlement’s transaction and the job changes nothing', async () => {
    const stay = await presettledStay();
    const settled = await w().settle(clerk, HOSPITAL, stay.mdtrtId, { medfeeSumamt: total(STAY), residentId: stay.residentId }, 'normal-b');
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['settled']);
    const totals = await totalsAt(stay.psnNo);
    aheadMs += ORPHAN_AFTER_MS + 60_000;
    await reconcile();
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['settled']);
    expect((await remoteAt(stay.mdtrtId)).map((r) => r.status)).toEqual(['settled']);
    expect(await totalsAt(stay.psnNo)).toEqual(totals);
    // The same msgid again: the first answer.
    const again = await w().settle(clerk, HOSPITAL, stay.mdtrtId, { medfeeSumamt: total(STAY), residentId: stay.residentId }, 'normal-b');
    expect(again.setlId).toBe(settled.setlId);
  });

  it('closes the intent when Hebei refuses the settlement (nothing to withdraw, no call after ORPHAN_AFTER_MS); a retry of the msgid reopens it and settles once', async () => {
    const stay = await presettledStay();
    // Hebei suspends the person between the pre-settlement and the settlement: it refuses, settling nothing.
    const status = (to: string) =>
      hebei.ctx.database.db.execute(sql`update insurance_persons set status = ${to} where psn_no = ${stay.psnNo}`);
    await status('suspended');
    const refused = await retry({ ...stay, key: 'refused-d' });
    expect(refused).toMatchObject({ code: 'INSURANCE_NOT_INSURED' });
    expect(await remoteAt(stay.mdtrtId)).toEqual([]);
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['refused']);
    const cancels = () => n(guangxi, sql`select count(*) as n from federation_messages where type = 'insurance.cancel'`);
    const cancelsBefore = await cancels();
    aheadMs += ORPHAN_AFTER_MS + 60_000;
    await reconcile();
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['refused']);
    expect(await cancels()).toBe(cancelsBefore);

    // Insured again: the hospital's retry of the msgid asks Hebei again and settles, once on each side.
    await status('active');
    const settled = await retry({ ...stay, key: 'refused-d' });
    expect(settled).toMatchObject({ amounts: { medfee_sumamt: total(STAY) } });
    expect((await intentsOf(stay.mdtrtId)).map((i) => i.state)).toEqual(['settled']);
    expect((await remoteAt(stay.mdtrtId)).map((r) => r.status)).toEqual(['settled']);
    expect(await settlementsAt(stay.mdtrtId)).toBe(1);
  });

  it('refuses the msgid at once when Hebei is down, keeps asking, and cancels at Hebei once it is back; a second run changes nothing more', async () => {
    const o = await orphan('orphan-c');
    aheadMs += ORPHAN_AFTER_MS + 60_000;
    await hebei.app.close();
    try {
      const run = await reconcile();
      expect(run.abandoning).toBeGreaterThanOrEqual(1);
      expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoning']);
      // Refused here already, though Hebei still holds its settlement.
      expect(await retry(o)).toMatchObject({ code: 'INSURANCE_SETTLEMENT_ABANDONED' });
      expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['settled']);
      // Each try that cannot reach Hebei is the start of the intent's next wait (RETRY_MIN_MS at first).
      const lastTry = async () =>
        (
          await rows<{ at: string }>(
            guangxi,
            sql`select updated_at::text as at from insurance_remote_intents where mdtrt_id = ${o.mdtrtId}`,
          )
        )[0]!.at;
      const first = await lastTry();
      // Run again at once: not asked again before its wait, nothing changed.
      expect(await reconcile()).toMatchObject({ abandoning: 0, abandoned: 0, failed: 0 });
      expect(await lastTry()).toBe(first);
      // Still down after the wait (its first is RETRY_MIN_MS and the seconds this test took since the stay): asked again.
      aheadMs += 2 * RETRY_MIN_MS;
      expect((await reconcile()).abandoning).toBeGreaterThanOrEqual(1);
      expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoning']);
      const second = await lastTry();
      expect(second > first).toBe(true);
      // The waits grow with the time abandoning (about 3 minutes now): one more minute is not enough.
      aheadMs += RETRY_MIN_MS;
      await reconcile();
      expect(await lastTry()).toBe(second);
    } finally {
      hebei.app = await buildTestApp(hebei.ctx);
      await hebei.app.listen({ host: '127.0.0.1', port: hebei.port });
    }
    // Back up: withdrawn on the first run after the (at most hourly) wait.
    aheadMs += RETRY_MAX_MS;
    await reconcile();
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoned']);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['cancelled']);
    expect(await totalsAt(o.psnNo)).toEqual(o.before ?? { deductible: 0, fund: 0, account: 0, stays: 0 });

    // Run again: nothing more on either side.
    const state = async () => ({
      guangxi: {
        intents: await rows(guangxi, sql`select call_id, state, updated_at from insurance_remote_intents order by call_id`),
        messages: await n(guangxi, sql`select count(*) as n from insurance_messages`),
        calls: await n(guangxi, sql`select count(*) as n from federation_messages`),
      },
      hebei: {
        remote: await rows(hebei, sql`select ref, status, cancelled_at from insurance_remote_settlements order by ref`),
        totals: await totalsAt(o.psnNo),
        calls: await n(hebei, sql`select count(*) as n from federation_messages`),
      },
    });
    const before = await state();
    expect(await reconcile()).toEqual({ settled: 0, abandoned: 0, abandoning: 0, failed: 0 });
    expect(await state()).toEqual(before);
  });

  it('lists an open settlement to Guangxi’s Nanning office (no person in it) and, on its request, asks Hebei to take it back now', async () => {
    // Nanning's medical security bureau keeps the hospital (450103) at Guangxi.
    const bureau = guangxi.ctx.departments.medical_security!;
    await guangxi.ctx.database.db
      .insert(insuranceRegions)
      .values({ region: '450100', nameZh: '南宁市', officeOrgCode: bureau })
      .onConflictDoNothing();
    guangxi.ctx.services.insurance.reference.clear();
    const officer = await guangxi.ctx.newStaff('department_officer', bureau);
    const insurance = guangxi.ctx.services.insurance;
    const o = await orphan('orphan-e');
    const [intent] = await intentsOf(o.mdtrtId);
    const listed = async () => (await insurance.openCrossProvince(officer)).items.find((i) => i.callId === intent!.call_id);

    // Fresh: the hospital may still retry it; listed with when it will be withdrawn, and not withdrawn on request.
    const pending = (await listed())!;
    expect(pending).toMatchObject({
      state: 'pending',
      institutionCode: HOSPITAL,
      institutionName: '南宁市第二人民医院',
      mdtrtId: o.mdtrtId,
      insuranceRegion: SHIJIAZHUANG,
      insuranceRegionName: '河北省石家庄市',
    });
    expect(Date.parse(pending.nextStepAt!) - Date.parse(pending.lastChangedAt)).toBe(ORPHAN_AFTER_MS);
    const page = JSON.stringify(await insurance.openCrossProvince(officer));
    expect(page).not.toContain(o.residentId);
    expect(page).not.toContain(maskResidentId(o.residentId));
    expect(page).not.toContain(o.psnNo);
    await expect(insurance.retryCrossProvince(officer, intent!.call_id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['pending']);
    // The hospital's window clerk is not the office: neither the list nor the retry.
    await expect(insurance.openCrossProvince(clerk)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(insurance.retryCrossProvince(clerk, intent!.call_id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(insurance.retryCrossProvince(officer, randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Past ORPHAN_AFTER_MS, Hebei down: refused here at the office's request, Hebei not reached, asked again after its wait.
    aheadMs += ORPHAN_AFTER_MS + 60_000;
    await hebei.app.close();
    try {
      expect(await insurance.retryCrossProvince(officer, intent!.call_id)).toMatchObject({ state: 'abandoning', reached: false });
      expect(await retry(o)).toMatchObject({ code: 'INSURANCE_SETTLEMENT_ABANDONED' });
      const abandoning = (await listed())!;
      expect(abandoning.state).toBe('abandoning');
      // Its wait: as long as it has been abandoning (a minute and this test's seconds), at least RETRY_MIN_MS.
      const abandoningFor = Date.parse(abandoning.lastChangedAt) - Date.parse(abandoning.createdAt) - ORPHAN_AFTER_MS;
      expect(Date.parse(abandoning.nextStepAt!) - Date.parse(abandoning.lastChangedAt)).toBe(Math.max(RETRY_MIN_MS, abandoningFor));
      expect(Date.parse(abandoning.nextStepAt!) - Date.parse(abandoning.lastChangedAt)).toBeLessThan(RETRY_MIN_MS + 60_000);
      expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['settled']);
    } finally {
      hebei.app = await buildTestApp(hebei.ctx);
      await hebei.app.listen({ host: '127.0.0.1', port: hebei.port });
    }

    // Hebei back, over HTTP as the console asks, before the wait is over: withdrawn now, Hebei's totals as before.
    const login = await guangxi.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: officer.username, password: PASSWORD, channel: 'web' },
    });
    const authorization = `Bearer ${login.json<{ token: string }>().token}`;
    const asked = await guangxi.app.inject({
      method: 'POST',
      url: `/api/insurance/cross-province/open/${intent!.call_id}/retry`,
      headers: { authorization },
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toEqual({ callId: intent!.call_id, state: 'abandoned', reached: true, nextStepAt: null });
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoned']);
    expect((await remoteAt(o.mdtrtId)).map((r) => r.status)).toEqual(['cancelled']);
    expect(await totalsAt(o.psnNo)).toEqual(o.before ?? { deductible: 0, fund: 0, account: 0, stays: 0 });
    const list = await guangxi.app.inject({ url: '/api/insurance/cross-province/open', headers: { authorization } });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { callId: string }[] }>().items.some((i) => i.callId === intent!.call_id)).toBe(false);
    // Who asked is on Guangxi's ledger, twice (the try Hebei missed, and the one it answered).
    const asks = await rows<{ data: string }>(
      guangxi,
      sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind = 'insurance.settlement'
          union all select convert_from(data, 'UTF8') from ledger_entries where kind = 'insurance.settlement'`,
    );
    const mine = asks.filter((l) => l.data.includes('withdrawal-asked-by-office') && l.data.includes(intent!.call_id));
    expect(mine).toHaveLength(2);
    expect(mine.every((l) => l.data.includes(officer.accountId))).toBe(true);
    // Closed: asked again, refused with nothing changed; bad input refused before anything.
    expect(
      (
        await guangxi.app.inject({
          method: 'POST',
          url: `/api/insurance/cross-province/open/${intent!.call_id}/retry`,
          headers: { authorization },
        })
      ).statusCode,
    ).toBe(409);
    const bad = await guangxi.app.inject({
      method: 'POST',
      url: '/api/insurance/cross-province/open/not-a-uuid/retry',
      headers: { authorization },
    });
    expect(bad.statusCode).toBe(400);
    expect((await intentsOf(o.mdtrtId)).map((i) => i.state)).toEqual(['abandoned']);
  });

  it('answers at Hebei a cancellation of a settlement it never made as done, nothing to cancel, and the same again', async () => {
    const ref = randomUUID();
    const payload = { ref, mdtrt_id: 'NEVER1', abandoned: true };
    const before = await n(hebei, sql`select count(*) as n from insurance_remote_settlements`);
    const first = await guangxi.ctx.services.federation.call(HEBEI, 'insurance.cancel', payload);
    expect(first.result).toEqual({ ref, status: 'none' });
    const again = await guangxi.ctx.services.federation.call(HEBEI, 'insurance.cancel', payload);
    expect(again.result).toEqual({ ref, status: 'none' });
    expect(await n(hebei, sql`select count(*) as n from insurance_remote_settlements`)).toBe(before);
  });

  it('does not settle at Hebei a settlement request held up there longer than a third of ORPHAN_AFTER_MS (Guangxi may withdraw it by then)', async () => {
    const residentId = freshResidentId();
    const psnNo = await hebei.ctx.services.insuranceAdmin.enrol({
      residentId,
      name: '周大爷',
      scheme: 'employee',
      region: SHIJIAZHUANG,
      fromDate: '2020-01-01',
      accountBalanceFen: 0,
    });
    const types = hebei.ctx.services.insurance.crossProvinceTypes;
    const typeOf = (name: string) => types.find((t) => t.type === name)!;
    const mdtrtId = `STALE${Date.now().toString(36)}`;
    const payload = {
      mdtrt_cert_type: '02',
      mdtrt_cert_no: residentId,
      id_masked: maskResidentId(residentId),
      mdtrt_id: mdtrtId,
      fixmedins_code: HOSPITAL,
      hosp_lv: 3,
      mdtrtarea_admvs: '450103',
      med_type: '21',
      begntime: today,
      emergency: false,
      acct_used_flag: '1',
      feedetail: STAY.map((l) => [
        l.feedetlSn,
        l.code,
        SEED_CATALOGUE.find((c) => c.code === l.code)!.cls,
        l.quantity,
        l.unitPriceFen,
        null,
      ]),
    };
    const message = (type: string, agoMs: number, body: Record<string, unknown>) => ({
      id: randomUUID(),
      from: GUANGXI,
      to: HEBEI,
      type,
      payload: body,
      created: new Date(clock().getTime() - agoMs).toISOString(),
    });
    const db = hebei.ctx.database.db;
    const pre = await db.transaction((tx) => typeOf('insurance.presettle').apply(tx, message('insurance.presettle', 0, payload)));
    const settle = { ...payload, expect: pre.digest };
    const stale = await db
      .transaction((tx) => typeOf('insurance.settle').apply(tx, message('insurance.settle', ORPHAN_AFTER_MS / 3 + 60_000, settle)))
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 'INSURANCE_SETTLEMENT_MISMATCH' });
    expect(formatMessage((stale as AppError).code, (stale as AppError).params, 'en')).toContain('waited too long');
    expect(await remoteAt(mdtrtId)).toEqual([]);
    expect((await totalsAt(psnNo))?.stays ?? 0).toBe(0);
    // The same request in time settles.
    await db.transaction((tx) => typeOf('insurance.settle').apply(tx, message('insurance.settle', 60_000, settle)));
    expect((await remoteAt(mdtrtId)).map((r) => r.status)).toEqual(['settled']);
    expect((await totalsAt(psnNo))!.stays).toBe(1);
  });
});
