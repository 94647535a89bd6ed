import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSpki } from '../../verify/keys.ts';
import { sm2GenerateKeyPair } from '../../verify/sm2-keys.ts';
import { signResponse, sm2SigningKey } from '../sharing/index.ts';
import type { Transport } from './hospital-client.ts';
import { recordTiming, TIMINGS_KEPT, type Timings } from './hospital-retention.ts';
import { openHospitalSystem, type HospitalSystem } from './hospital-system.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-08-10T02:00:00.000Z');
const LINE = [{ code: '001102000010000', quantity: 2, priceFen: 5_000 }];

/**
 * A platform in the test: answers every transaction (signed with its own key, pinned in the state
 * folder), but none of an infno on hold — the hospital sends those again until the hold is lifted.
 */
function fakePlatform(stateDir: string, clock: () => Date) {
  const key = sm2SigningKey('platform-test', sm2GenerateKeyPair().privateKey);
  writeFileSync(
    path.join(stateDir, 'platform-interface-key.json'),
    JSON.stringify({ keyId: key.keyId, publicKeySpki: Buffer.from(encodeSpki('SM2', key.publicKey)).toString('base64') }),
  );
  let n = 0;
  const held = new Set<string>();
  const seen: { infno: string; input: Record<string, unknown> }[] = [];
  const outputs = new Map<string, Record<string, unknown>>();
  const outputFor = (infno: string, msgid: string, input: Record<string, unknown>): Record<string, unknown> => {
    const done = outputs.get(msgid);
    if (done) return done;
    n++;
    const out: Record<string, unknown> =
      infno === '1101'
        ? { baseinfo: { psn_no: `P${String(input.mdtrt_cert_no).slice(-6)}` }, insuinfo: [{ insuplc_admdvs: '450800' }] }
        : infno === '2001'
          ? { mdtrt_id: `M${n}`, where: '450103', filed: '0' }
          : infno === '2303'
            ? { medfee_sumamt: 10_000 }
            : infno === '2304'
              ? {
                  setl_id: `S${n}`,
                  mdtrt_id: input.mdtrt_id,
                  setl_time: clock().toISOString(),
                  medfee_sumamt: 10_000,
                  hifp_pay: 6_000,
                  acct_pay: 0,
                  psn_cash_pay: 4_000,
                }
              : infno === '3201'
                ? { stmt_rslt: '0' }
                : {};
    outputs.set(msgid, out);
    return out;
  };
  const transport: Transport = async (request) => {
    const envelope = JSON.parse(request.body) as { infno: string; msgid: string; input: Record<string, unknown> };
    if (held.has(envelope.infno)) throw new Error('the platform is not answering');
    seen.push({ infno: envelope.infno, input: envelope.input });
    const body = JSON.stringify({
      infcode: 0,
      inf_refmsgid: envelope.msgid,
      respond_time: clock().toISOString(),
      output: outputFor(envelope.infno, envelope.msgid, envelope.input),
    });
    const headers = await signResponse(key, request, { status: 200, body, now: clock() });
    return { status: 200, headers, body };
  };
  /** The hospital system's options for this platform (one hospital, the state folder, the test's clock). */
  const options = { platformUrl: 'http://platform.test', code: 'H45010300009', region: '450103', stateDir, transport, clock };
  return { transport, held, seen, options };
}

describe('the hospital system trimmed while it runs', () => {
  const dirs: string[] = [];
  const open: HospitalSystem[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('drops what the next start would archive — whole encounters, their settlements and ID numbers — keeps the recent and the unanswered, and a restart rebuilds the same', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-trim-'));
    dirs.push(stateDir);
    let now = T0;
    const clock = () => new Date(now);
    const platform = fakePlatform(stateDir, clock);
    const start = async () => {
      const system = await openHospitalSystem({ ...platform.options, retry: { firstMs: 5, maxMs: 20 } });
      open.push(system);
      return system;
    };
    const stop = async (system: HospitalSystem) => {
      open.splice(open.indexOf(system), 1);
      await system.close();
    };
    let system = await start();
    const visit = async (certNo: string, begin: string) => (await system.openEncounter({ certNo, medType: '21', begin })).mdtrtId;

    // Day 0: A settled; B a long stay; C whose fee upload the platform does not answer; D settled.
    const a = await visit('450881195003120021', '2026-08-10');
    await system.addFees(a, LINE);
    await system.settle(a);
    const b = await visit('450881195003120022', '2026-08-10');
    await system.addFees(b, LINE);
    const c = await visit('450881195003120023', '2026-08-10');
    const d = await visit('450881195003120024', '2026-08-10');
    const dSettled = String((await system.settle(d)).setl_id);
    await system.reconcile('2026-08-10');
    platform.held.add('2301');
    const cFees = system.addFees(c, LINE).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    expect(system.pending()).toHaveLength(1);
    // Day 30: B settled, D's settlement cancelled.
    now = T0 + 30 * DAY;
    const bSettled = String((await system.settle(b)).setl_id);
    await system.cancel(dSettled);
    expect(system.sizes()).toMatchObject({ encounters: 4, settlements: 3, certs: 4 });

    // Day 36: only A (and the day's 3201) is over 35 days old, all of it.
    now = T0 + 36 * DAY;
    const journal = readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8');
    expect(system.trim()).toEqual({ transactions: 5 }); // A's 2001, 2301, 2303, 2304 and the 3201
    expect(readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8')).toBe(journal); // the file is compacted at start only
    expect(system.encounters().map((e) => e.mdtrtId)).toEqual([b, c, d]);
    expect(system.settlements().map((s) => [s.mdtrtId, s.status])).toEqual([
      [d, 'cancelled'],
      [b, 'settled'],
    ]);
    expect(system.sizes()).toEqual({ transactions: 10, answered: 9, encounters: 3, settlements: 2, certs: 3 });
    expect(system.pending()).toHaveLength(1); // C's fee upload, whatever its age
    expect(system.trim()).toEqual({ transactions: 0 });

    // B began 36 days ago; its settlement is recent, so its cancellation still carries the ID number.
    await system.cancel(bSettled);
    expect(platform.seen.at(-1)).toMatchObject({ infno: '2305', input: { mdtrt_cert_no: '450881195003120022' } });

    // Day 72: B's cancellation (day 36) and D's (day 30) are over 35 days old; C's unanswered upload holds C.
    now = T0 + 72 * DAY;
    system.trim();
    expect(system.encounters().map((e) => e.mdtrtId)).toEqual([c]);
    expect(system.settlements()).toEqual([]);
    expect(system.sizes()).toEqual({ transactions: 2, answered: 1, encounters: 1, settlements: 0, certs: 1 });

    // A restart rebuilds from the journal, compacted by the same rule, what the running process held.
    const held = { encounters: system.encounters(), settlements: system.settlements(), sizes: system.sizes() };
    await stop(system);
    expect(await cFees).toMatchObject({ code: 'HOSPITAL_STOPPING' });
    system = await start();
    expect({ encounters: system.encounters(), settlements: system.settlements(), sizes: system.sizes() }).toEqual(held);
    platform.held.clear();
    await system.recovered;
    expect(system.encounters()).toEqual([expect.objectContaining({ mdtrtId: c, lines: 1, totalFen: 10_000 })]);
  });

  it('a restart at any point keeps what the trim keeps', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-trim-'));
    dirs.push(stateDir);
    let now = T0;
    const clock = () => new Date(now);
    const platform = fakePlatform(stateDir, clock);
    const { options } = platform;
    let system = await openHospitalSystem(options);
    open.push(system);
    // A visit a week; every other one settled a week after it began, across the cut-offs below.
    let previous = '';
    for (let day = 0; day < 50; day += 7) {
      now = T0 + day * DAY;
      if (day % 14 === 7) await system.settle(previous);
      const m = (
        await system.openEncounter({ certNo: `45088119500312${String(day).padStart(4, '0')}`, medType: '11', begin: '2026-08-10' })
      ).mdtrtId;
      await system.addFees(m, LINE);
      previous = m;
    }
    for (const day of [40, 44, 48, 60, 90]) {
      now = T0 + day * DAY;
      system.trim();
      const held = { encounters: system.encounters(), settlements: system.settlements(), sizes: system.sizes() };
      await system.close();
      open.splice(0);
      system = await openHospitalSystem(options);
      open.push(system);
      expect({ encounters: system.encounters(), settlements: system.settlements(), sizes: system.sizes() }).toEqual(held);
    }
    expect(system.sizes()).toEqual({ transactions: 0, answered: 0, encounters: 0, settlements: 0, certs: 0 });
  });
});

describe('the hourly trim', () => {
  it('runs on its own timer', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'yiban-hospital-trim-'));
    let now = T0;
    const clock = () => new Date(now);
    const platform = fakePlatform(stateDir, clock);
    const lines: string[] = [];
    const system = await openHospitalSystem({
      ...platform.options,
      trimEveryMs: 10,
      log: (line) => lines.push(line),
    });
    try {
      await system.openEncounter({ certNo: '450881195003120021', medType: '11', begin: '2026-08-10' });
      await new Promise((r) => setTimeout(r, 40));
      expect(system.sizes().encounters).toBe(1);
      now = T0 + 36 * DAY;
      await new Promise((r) => setTimeout(r, 40));
      expect(system.sizes()).toEqual({ transactions: 0, answered: 0, encounters: 0, settlements: 0, certs: 0 });
      expect(lines).toContain('memory: 1 transactions of encounters answered over 35 days ago dropped');
    } finally {
      await system.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('round-trip timings', () => {
  it('keep the count since start and only the last ones', () => {
    const t: Timings = { count: 0, last: [] };
    for (let i = 0; i < TIMINGS_KEPT + 500; i++) recordTiming(t, i);
    expect(t.count).toBe(TIMINGS_KEPT + 500);
    expect(t.last).toHaveLength(TIMINGS_KEPT);
    expect(t.last[0]).toBe(500);
  });
});
