/**
 * The hospital's own system (HIS side) of the medical insurance interface: its SM2 key, the
 * platform's interface key pinned on first contact, and a journal of every transaction it sends.
 * Each transaction is journaled `sent` (on disk) before it leaves and `answered` when its signed
 * answer comes back. A transaction sent and not answered — the process was killed, the platform
 * went away — is sent again with the same msgid, at start and until it is answered; the platform
 * answers a msgid it has seen with its first answer, so a settlement is whole or absent and never
 * made twice.
 *
 * The window (the local HTTP API, hospital-server.ts), the simulator and tests call it; its
 * encounters and settlements are the journal's answers, read again at start. What it holds in
 * memory is trimmed every hour (`trimEveryMs`) by the rule the journal is compacted by at start
 * (hospital-retention.ts), so a process that runs for months holds about `journalKeepDays` of
 * transactions, and no patient's ID number longer than that after their encounter's last one.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeSpki } from '../../verify/keys.ts';
import { sm2GenerateKeyPair } from '../../verify/sm2-keys.ts';
import { maskResidentId } from '../identity/index.ts';
import { sm2KeyIdOf, sm2SigningKey, type Sm2SigningKey } from '../sharing/index.ts';
import type { Answer, Infno } from './envelope.ts';
import {
  createHospitalClient,
  fetchTransport,
  HospitalCallError,
  newMsgid,
  type HospitalClient,
  type Transport,
} from './hospital-client.ts';
import {
  archivable,
  journalKey,
  openJournal,
  sealId,
  unsealId,
  type AnsweredRecord,
  type Journal,
  type SentRecord,
} from './hospital-journal.ts';
import { encounterGroups, recordTiming, type Timings } from './hospital-retention.ts';
import { chinaDay } from './insurance-context.ts';

export interface HospitalSystemOptions {
  platformUrl: string;
  /** The institution's code, H and 11 digits. */
  code: string;
  /** The institution's division (the division of treatment). */
  region: string;
  stateDir: string;
  transport?: Transport;
  log?: (line: string) => void;
  /** First and longest wait between resends of an unanswered transaction. */
  retry?: { firstMs: number; maxMs: number };
  clock?: () => Date;
  /** Days of answered transactions the journal keeps at opening; older ones move to its archive (default 35). */
  journalKeepDays?: number;
  /** How often what is older than the retention is dropped from memory (default hourly). */
  trimEveryMs?: number;
}

interface PlatformKey {
  keyId: string;
  publicKeySpki: string;
}

export interface FeeLineInput {
  code: string;
  quantity: number;
  priceFen: number;
  /** The hospital's line number (feedetl_sn); one is made when absent. */
  sn?: string;
}

export interface EncounterView {
  mdtrtId: string;
  psnNo: string;
  insuranceRegion: string;
  medType: string;
  begin: string;
  status: 'open' | 'settled';
  lines: number;
  totalFen: number;
  where?: string;
  filed?: string;
}

export interface SettlementRecord {
  setlId: string;
  mdtrtId: string;
  msgid: string;
  insuranceRegion: string;
  /** The China day it was settled on (what 3201 counts it under). */
  day: string;
  status: 'settled' | 'cancelled' | 'reversed';
  totalFen: number;
  fundFen: number;
  accountFen: number;
  cashFen: number;
}

/** A refusal or failure the window sees: the platform's err_code, or the hospital's own. */
export class HospitalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageZh: string,
    readonly messageEn: string,
    readonly msgid?: string,
  ) {
    super(`${code}: ${messageEn}`);
    this.name = 'HospitalError';
  }
}

const KEY_FILE = 'hospital-key.json';
const PUBLIC_FILE = 'hospital.pub.pem';
const PLATFORM_FILE = 'platform-interface-key.json';
const JOURNAL_FILE = 'journal.jsonl';

const pem = (der: Uint8Array) =>
  `-----BEGIN PUBLIC KEY-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END PUBLIC KEY-----\n`;

/** The key id an institution's key is registered under: its code and a digest of the key. */
export function institutionKeyId(code: string, publicKey: Uint8Array): string {
  return sm2KeyIdOf(publicKey, code);
}

/**
 * The hospital's SM2 key from the state folder, made (file mode 0600) on first start. The public
 * key is written beside it as PEM (SPKI) for `yiban insurance institution add --public-key-file`.
 */
export function loadOrCreateHospitalKey(stateDir: string, code: string): { key: Sm2SigningKey; created: boolean; publicKeyPem: string } {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, KEY_FILE);
  let created = false;
  if (!existsSync(file)) {
    const pair = sm2GenerateKeyPair();
    writeFileSync(file, JSON.stringify({ alg: 'SM2', code, privateKey: Buffer.from(pair.privateKey).toString('hex') }), {
      mode: 0o600,
      flag: 'wx',
    });
    created = true;
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { privateKey: string };
  const draft = sm2SigningKey('pending', Buffer.from(stored.privateKey, 'hex'));
  const key = sm2SigningKey(institutionKeyId(code, draft.publicKey), Buffer.from(stored.privateKey, 'hex'));
  const publicKeyPem = pem(encodeSpki('SM2', key.publicKey));
  writeFileSync(path.join(stateDir, PUBLIC_FILE), publicKeyPem);
  return { key, created, publicKeyPem };
}

/**
 * One hospital system per state folder: two would interleave one journal. The lock file names the
 * process; a lock left by a process that is gone (killed) is taken over.
 */
function lockStateDir(stateDir: string): () => void {
  const file = path.join(stateDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8'));
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive)
        throw new HospitalError(
          409,
          'HOSPITAL_STATE_LOCKED',
          `状态目录正被进程 ${pid} 使用`,
          `the state folder is in use by process ${pid}`,
        );
      rmSync(file, { force: true });
    }
  }
  throw new HospitalError(409, 'HOSPITAL_STATE_LOCKED', '无法锁定状态目录', 'could not lock the state folder');
}

interface Pending {
  record: SentRecord;
  promise: Promise<{ status: number; answer: Answer }>;
}

export async function openHospitalSystem(options: HospitalSystemOptions) {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? (() => new Date());
  const retry = options.retry ?? { firstMs: 100, maxMs: 5_000 };
  const transport = options.transport ?? fetchTransport;
  const { key, created, publicKeyPem } = loadOrCreateHospitalKey(options.stateDir, options.code);
  const unlock = lockStateDir(options.stateDir);
  const keepDays = options.journalKeepDays ?? 35;
  const cutOff = () => clock().getTime() - keepDays * 86_400_000;
  // The records read at opening are replayed below and not held after.
  const {
    records: opening,
    archived: archivedAtOpening,
    ...journal
  } = openJournal(path.join(options.stateDir, JOURNAL_FILE), {
    archiveBefore: new Date(cutOff()),
    groupOf: encounterGroups,
  }) satisfies Journal & { archived: number };
  if (archivedAtOpening > 0)
    log(`journal: ${archivedAtOpening} records of encounters answered over ${keepDays} days ago moved to journal-archive/`);
  const sealKey = journalKey(options.stateDir);
  /** Each kept encounter's patient ID number (from its 2001 record), for the transactions that carry it. */
  const certs = new Map<string, string>();
  /** The transactions whose input carries the patient's ID number on the wire. */
  const CARRIES_ID: ReadonlySet<Infno> = new Set(['2303', '2304', '2305', '2601']);

  const sent = new Map<string, SentRecord>();
  const answered = new Map<string, AnsweredRecord>();
  const encounters = new Map<string, EncounterView>();
  const settlements = new Map<string, SettlementRecord>();
  const timings = new Map<Infno, Timings>();
  const timed = (infno: Infno, ms: number) =>
    recordTiming(timings.get(infno) ?? timings.set(infno, { count: 0, last: [] }).get(infno)!, ms);
  const inFlight = new Map<string, Pending>();
  let stopped = false;

  /** The effect of one answered transaction on the hospital's books. */
  function apply(record: SentRecord, answer: Answer): void {
    if (answer.infcode !== 0 || !answer.output) return;
    const out = answer.output;
    const input = record.input;
    switch (record.infno) {
      case '2001':
        if (record.cert) certs.set(String(out.mdtrt_id), unsealId(sealKey, record.cert, record.msgid));
        encounters.set(String(out.mdtrt_id), {
          mdtrtId: String(out.mdtrt_id),
          psnNo: String(input.psn_no),
          insuranceRegion: record.insuranceRegion,
          medType: String(input.med_type),
          begin: String(input.begntime),
          status: 'open',
          lines: 0,
          totalFen: 0,
          where: String(out.where),
          filed: String(out.filed),
        });
        break;
      case '2301': {
        const e = encounters.get(String(input.mdtrt_id));
        const lines = input.feedetail as { cnt: number; pric_fen: number }[];
        if (e) {
          e.lines += lines.length;
          e.totalFen += lines.reduce((s, l) => s + l.cnt * l.pric_fen, 0);
        }
        break;
      }
      case '2304': {
        const setlId = String(out.setl_id);
        settlements.set(setlId, {
          setlId,
          mdtrtId: String(out.mdtrt_id),
          msgid: record.msgid,
          insuranceRegion: record.insuranceRegion,
          day: chinaDay(new Date(String(out.setl_time))),
          status: 'settled',
          totalFen: out.medfee_sumamt as number,
          fundFen: out.hifp_pay as number,
          accountFen: out.acct_pay as number,
          cashFen: out.psn_cash_pay as number,
        });
        const e = encounters.get(String(out.mdtrt_id));
        if (e) e.status = 'settled';
        break;
      }
      case '2305':
      case '2601': {
        const s =
          record.infno === '2305'
            ? settlements.get(String(input.setl_id))
            : [...settlements.values()].find((x) => x.msgid === input.omsgid);
        if (s) {
          s.status = record.infno === '2305' ? 'cancelled' : 'reversed';
          const e = encounters.get(s.mdtrtId);
          if (e) e.status = 'open';
        }
        break;
      }
      case '1101':
      case '2303':
      case '3201':
        break;
    }
  }

  // The books again from the journal; what was sent and not answered is sent again below.
  for (const r of opening) {
    if (r.t === 'sent') sent.set(r.msgid, r);
    else {
      answered.set(r.msgid, r);
      const s = sent.get(r.msgid);
      if (s) apply(s, r.answer);
    }
  }
  const unanswered = [...sent.values()].filter((r) => !answered.has(r.msgid));

  // The platform's interface key: pinned on first contact, kept in the state folder.
  const platformFile = path.join(options.stateDir, PLATFORM_FILE);
  let client: HospitalClient | null = null;
  async function pinPlatformKey(): Promise<HospitalClient> {
    if (client) return client;
    let platformKey: PlatformKey;
    if (existsSync(platformFile)) platformKey = JSON.parse(readFileSync(platformFile, 'utf8')) as PlatformKey;
    else {
      const res = await fetch(`${options.platformUrl.replace(/\/$/, '')}/api/insurance/hsa/v1/interface-key`);
      if (!res.ok) throw new Error(`interface key: HTTP ${res.status}`);
      const body = (await res.json()) as PlatformKey & { certificatePem: string };
      platformKey = { keyId: body.keyId, publicKeySpki: body.publicKeySpki };
      writeFileSync(
        platformFile,
        JSON.stringify({ ...platformKey, certificatePem: body.certificatePem, pinnedAt: clock().toISOString() }),
        {
          mode: 0o600,
        },
      );
      log(`pinned the platform interface key ${platformKey.keyId}`);
    }
    client = createHospitalClient({
      baseUrl: options.platformUrl,
      hospital: { code: options.code, region: options.region, key },
      platformKey,
      transport,
      clock,
    });
    return client;
  }

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * Sends (or sends again) one journaled transaction until it is answered: a refusal is an
   * answer; no answer, a 5xx or an answer that does not verify is sent again, same msgid.
   */
  async function deliver(record: SentRecord): Promise<{ status: number; answer: Answer }> {
    let delay = retry.firstMs;
    for (let attempt = 1; ; attempt++) {
      if (stopped) throw new HospitalError(503, 'HOSPITAL_STOPPING', '医院系统正在停止', 'the hospital system is stopping', record.msgid);
      let result: { status: number; answer: Answer } | null = null;
      const started = performance.now();
      try {
        const c = await pinPlatformKey();
        const input =
          record.cert && CARRIES_ID.has(record.infno)
            ? { ...record.input, mdtrt_cert_type: '02', mdtrt_cert_no: unsealId(sealKey, record.cert, record.msgid) }
            : record.input;
        const { answer } = await c.call(record.infno, input, { msgid: record.msgid, insuranceRegion: record.insuranceRegion });
        result = { status: 200, answer };
      } catch (error) {
        if (error instanceof HospitalCallError && error.status < 500) result = { status: error.status, answer: error.answer };
        else if (attempt === 1 || attempt % 10 === 0)
          log(`${record.infno} ${record.msgid}: no answer (${error instanceof Error ? error.message : String(error)}); sending again`);
      }
      if (result) {
        const ms = performance.now() - started;
        timed(record.infno, ms);
        if (!answered.has(record.msgid)) {
          const done: AnsweredRecord = {
            t: 'answered',
            msgid: record.msgid,
            status: result.status,
            answer: result.answer,
            at: clock().toISOString(),
          };
          await journal.append(done);
          answered.set(record.msgid, done);
          apply(record, result.answer);
        }
        return result;
      }
      await wait(delay);
      delay = Math.min(delay * 2, retry.maxMs);
    }
  }

  function track(record: SentRecord): Pending {
    const promise = deliver(record).finally(() => inFlight.delete(record.msgid));
    const p = { record, promise };
    inFlight.set(record.msgid, p);
    return p;
  }

  // Resent in the journal's order, one after another; the window waits for them.
  const recovered = (async () => {
    for (const r of unanswered) {
      log(`resending ${r.infno} ${r.msgid} (sent before the restart, not answered)`);
      await track(r).promise.catch(() => undefined);
    }
  })();

  /** One transaction: journaled, sent, answered. A refusal throws HospitalError with the platform's code. */
  async function send(
    infno: Infno,
    input: Record<string, unknown>,
    insuranceRegion: string,
    /** The patient's ID number, sealed into the record (see SentRecord.cert). */
    certNo?: string,
  ): Promise<Record<string, unknown>> {
    await recovered;
    const msgid = newMsgid(options.code, clock());
    const record: SentRecord = {
      t: 'sent',
      msgid,
      infno,
      insuranceRegion,
      input,
      ...(certNo ? { cert: sealId(sealKey, certNo, msgid) } : {}),
      at: clock().toISOString(),
    };
    await journal.append(record);
    sent.set(record.msgid, record);
    const { status, answer } = await track(record).promise;
    if (answer.infcode !== 0)
      throw new HospitalError(status, answer.err_code ?? 'ERROR', answer.err_msg ?? '', answer.err_msg_en ?? '', record.msgid);
    return { ...answer.output, msgid: record.msgid };
  }

  // One transaction at a time per encounter, in the order the window asked.
  const chains = new Map<string, Promise<unknown>>();
  function serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const prev = chains.get(id) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    chains.set(id, tail);
    void tail.then(() => chains.get(id) === tail && chains.delete(id));
    return next;
  }

  function encounterOf(mdtrtId: string): EncounterView {
    const e = encounters.get(mdtrtId);
    if (!e) throw new HospitalError(404, 'NOT_FOUND', '没有该就诊', 'no such encounter');
    return e;
  }
  function settlementOf(setlId: string): SettlementRecord {
    const s = settlements.get(setlId);
    if (!s) throw new HospitalError(404, 'NOT_FOUND', '没有该结算', 'no such settlement');
    return s;
  }

  let lineNo = 0;

  /**
   * Drops from memory what compaction at the next start would move to the archive (the same
   * `archivable` over the same records, hospital-retention.ts), and each dropped transaction's
   * effect on the books: a 2001 its encounter and ID number, a 2304 its settlement. An encounter's
   * transactions go together, so this undoes exactly what replaying the kept ones would not do.
   * Synchronous: no answer is applied half-way through it. The journal file is left as it is.
   */
  function trim(): { transactions: number } {
    const gone = archivable([...sent.values(), ...answered.values()], cutOff(), encounterGroups);
    for (const msgid of gone) {
      const record = sent.get(msgid);
      const answer = answered.get(msgid)?.answer;
      sent.delete(msgid);
      answered.delete(msgid);
      const out = answer?.infcode === 0 ? answer.output : undefined;
      if (!record || !out) continue;
      if (record.infno === '2001') {
        encounters.delete(String(out.mdtrt_id));
        certs.delete(String(out.mdtrt_id));
      } else if (record.infno === '2304') settlements.delete(String(out.setl_id));
    }
    if (gone.size > 0) log(`memory: ${gone.size} transactions of encounters answered over ${keepDays} days ago dropped`);
    return { transactions: gone.size };
  }
  const trimTimer = setInterval(trim, options.trimEveryMs ?? 3_600_000);
  trimTimer.unref();

  return {
    key,
    keyId: key.keyId,
    publicKeyPem,
    created,
    recovered,
    /** Transactions sent and not answered yet. */
    pending: () => [...sent.keys()].filter((m) => !answered.has(m)),
    journalState: (msgid: string) => (answered.has(msgid) ? 'answered' : sent.has(msgid) ? 'sent' : null),
    encounters: () => [...encounters.values()],
    settlements: () => [...settlements.values()],
    pinPlatformKey,

    /** Person information (1101, not journaled: a read, and it carries the ID number) then the entitlement check (2001). */
    async openEncounter(input: { certNo: string; medType: string; begin: string; emergency?: boolean }): Promise<EncounterView> {
      await recovered;
      let info: Answer;
      const started = performance.now();
      try {
        const c = await pinPlatformKey();
        info = (await c.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: input.certNo }, { insuranceRegion: options.region })).answer;
      } catch (error) {
        if (error instanceof HospitalCallError && error.status < 500)
          throw new HospitalError(
            error.status,
            error.answer.err_code ?? 'ERROR',
            error.answer.err_msg ?? '',
            error.answer.err_msg_en ?? '',
          );
        // A read: nothing to resend; the window tries again.
        throw new HospitalError(
          503,
          'HOSPITAL_PLATFORM_UNREACHABLE',
          '医保平台暂时无法访问，请稍后重试',
          `the platform did not answer (${error instanceof Error ? error.message : String(error)}); try again`,
        );
      }
      timed('1101', performance.now() - started);
      const base = info.output!.baseinfo as { psn_no: string };
      const insu = (info.output!.insuinfo as { insuplc_admdvs: string }[])[0]!;
      log(`encounter for ${maskResidentId(input.certNo)} (${base.psn_no}), med_type ${input.medType}`);
      const out = await send(
        '2001',
        { psn_no: base.psn_no, med_type: input.medType, begntime: input.begin, ...(input.emergency ? { emergency: '1' } : {}) },
        insu.insuplc_admdvs,
        input.certNo,
      );
      return encounterOf(String(out.mdtrt_id));
    },

    /** Fee detail upload (2301). */
    addFees(mdtrtId: string, lines: FeeLineInput[]) {
      return serial(mdtrtId, async () => {
        const e = encounterOf(mdtrtId);
        const feedetail = lines.map((l) => ({
          feedetl_sn: l.sn ?? `F${Date.now().toString(36)}${(lineNo++).toString(36)}`,
          med_list_codg: l.code,
          cnt: l.quantity,
          pric_fen: l.priceFen,
        }));
        const out = await send('2301', { mdtrt_id: mdtrtId, feedetail }, e.insuranceRegion);
        return { ...out, encounter: encounterOf(mdtrtId) };
      });
    },

    /** Pre-settlement (2303) then settlement (2304) of what the pre-settlement showed. */
    settle(mdtrtId: string, extra: { acctUsed?: boolean; list?: Record<string, string> } = {}) {
      return serial(mdtrtId, async () => {
        const e = encounterOf(mdtrtId);
        const acct = extra.acctUsed === false ? { acct_used_flag: '0' } : {};
        const pre = await send('2303', { mdtrt_id: mdtrtId, ...acct }, e.insuranceRegion, certs.get(mdtrtId));
        const out = await send(
          '2304',
          { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt, ...acct, ...(extra.list ? { setl_list: extra.list } : {}) },
          e.insuranceRegion,
          certs.get(mdtrtId),
        );
        return out;
      });
    },

    /** Settlement cancellation (2305). */
    cancel(setlId: string) {
      const s = settlementOf(setlId);
      return serial(s.mdtrtId, () => send('2305', { setl_id: setlId }, s.insuranceRegion, certs.get(s.mdtrtId)));
    },

    /** Reversal (2601) of the settlement's 2304 message. */
    reverse(setlId: string) {
      const s = settlementOf(setlId);
      return serial(s.mdtrtId, () => send('2601', { omsgid: s.msgid, oinfno: '2304' }, s.insuranceRegion, certs.get(s.mdtrtId)));
    },

    /** Daily reconciliation (3201) of the day's settlements standing, per place of insurance, from the hospital's own books. */
    async reconcile(day: string) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new HospitalError(400, 'VALIDATION_FAILED', '日期格式应为 YYYY-MM-DD', 'day: YYYY-MM-DD');
      const regions = new Map<string, SettlementRecord[]>();
      for (const s of settlements.values())
        if (s.day === day && s.status === 'settled') regions.set(s.insuranceRegion, [...(regions.get(s.insuranceRegion) ?? []), s]);
      const results = [];
      for (const [region, list] of regions) {
        const sum = (f: (s: SettlementRecord) => number) => list.reduce((a, s) => a + f(s), 0);
        const out = await send(
          '3201',
          {
            setl_optins: region,
            stmt_date: day,
            fixmedins_setl_cnt: list.length,
            medfee_sumamt: sum((s) => s.totalFen),
            fund_pay_sumamt: sum((s) => s.fundFen),
            acct_pay: sum((s) => s.accountFen),
            cash_payamt: sum((s) => s.cashFen),
          },
          region,
        );
        results.push({ region, count: list.length, matched: out.stmt_rslt === '0', result: out });
      }
      return { day, regions: results, matched: results.every((r) => r.matched) };
    },

    /** Per transaction: count since start, p50 and p99 of the last round trips (ms). */
    stats() {
      const out: Record<string, { count: number; p50: number; p99: number }> = {};
      for (const [infno, t] of timings) {
        const sorted = [...t.last].sort((a, b) => a - b);
        const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
        out[infno] = { count: t.count, p50: Math.round(at(0.5) * 100) / 100, p99: Math.round(at(0.99) * 100) / 100 };
      }
      return { transactions: out, pending: [...sent.keys()].filter((m) => !answered.has(m)).length };
    },

    trim,
    /** What is held in memory: transactions (sent), their answers, encounters, settlements, ID numbers. */
    sizes: () => ({
      transactions: sent.size,
      answered: answered.size,
      encounters: encounters.size,
      settlements: settlements.size,
      certs: certs.size,
    }),

    async close() {
      stopped = true;
      clearInterval(trimTimer);
      journal.close();
      unlock();
    },
  };
}

export type HospitalSystem = Awaited<ReturnType<typeof openHospitalSystem>>;
