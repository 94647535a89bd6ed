/**
 * The window path's statements (2301 fee upload, 2303 pre-settlement, 2304 settlement): named, so
 * that each connection prepares them once, and at most two per transaction, because each statement
 * is a round trip to PostgreSQL. The first reads, without locking, everything the transaction needs
 * (the message its msgid may already have answered included); the second writes the whole effect
 * and the answer in one statement, atomic without BEGIN and COMMIT, and only if what it was
 * computed from still stands: its guard CTE `ok` re-checks that under a row lock (PostgreSQL
 * re-evaluates it on the newest row version when another writer got there first). When the guard
 * fails, nothing is written and the caller reads again (transactions.ts). What the process already
 * knows (its own 2001, 2301 and 2303 of the encounter) lets it skip the read: then the guard is all
 * the checking, and a refusal sends it to the read. The rest of the interface goes through drizzle.
 */
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import type { EncounterWhere, MedType } from './insurance.tables.ts';
import type { ItemClass } from './settlement.ts';

/** A message row as row_to_json gives it (snake case); `response` is the answer's JSON text. */
export interface PriorMessage {
  institution_code: string;
  request_digest: string;
  response: string;
}

export interface EncounterJson {
  mdtrt_id: string;
  institution_code: string;
  psn_no: string;
  med_type: MedType;
  begin_date: string;
  emergency: boolean;
  where: EncounterWhere;
  filed: boolean;
  status: 'open' | 'settled';
  presettle_digest: string | null;
  presettle_total_fen: number | null;
  lines_version: number;
}

export interface PersonJson {
  psn_no: string;
  scheme: 'employee' | 'resident';
  region: string;
  status: string;
  account_balance_fen: number;
}

export interface YearJson {
  deductible_used_fen: number;
  fund_paid_fen: number;
  account_paid_fen: number;
  stays: number;
}

/** [feedetl_sn, code, item_class, quantity, unit_price_fen, price_limit_fen, name_zh] */
export type LineTuple = [string, string, ItemClass, number, number, number | null, string];

const PRIOR = `(select row_to_json(m) from (select institution_code, request_digest, response from insurance_messages where msgid = $2) m) as prior`;
/** A fee line as a LineTuple, from a row `l` with the fee lines' columns. */
const LINE_TUPLE = `json_build_array(l.feedetl_sn, l.code, l.item_class, l.quantity, l.unit_price_fen, l.price_limit_fen, l.name_zh)`;
const LINES = `(select json_agg(${LINE_TUPLE}) from insurance_fee_lines l where l.mdtrt_id = e.mdtrt_id) as lines`;
/** The person and the year's totals of the encounter `e`, as 2303 computes from them. */
const PERSON_AND_YEAR = `row_to_json(p) as p, row_to_json(y) as y
  from insurance_encounters e
  join insurance_persons p on p.psn_no = e.psn_no
  left join insurance_year_totals y on y.psn_no = e.psn_no and y.year = extract(year from e.begin_date)::int`;

/** 2301's read: the encounter and the msgid's earlier answer (nothing locked: the write checks). */
const UPLOAD_READ: PreparedStatement = {
  name: 'insurance_upload_read',
  text: `select row_to_json(e) as e, ${PRIOR} from insurance_encounters e where e.mdtrt_id = $1`,
};

/** 2303 and 2304's read: the encounter, the person, the year's totals and the lines as they stand (nothing locked). */
const SETTLE_READ: PreparedStatement = {
  name: 'insurance_settle_read',
  text: `select row_to_json(e) as e, ${PRIOR}, ${LINES}, ${PERSON_AND_YEAR}
  where e.mdtrt_id = $1`,
};

/** The encounter locked for the rest of the caller's transaction (the cross-province path: cross-province.ts). */
const LOCK_ENCOUNTER: PreparedStatement = {
  name: 'insurance_lock_encounter',
  text: `select 1 from insurance_encounters where mdtrt_id = $1 for update`,
};

const ENSURE_YEAR: PreparedStatement = {
  name: 'insurance_ensure_year',
  text: `insert into insurance_year_totals (psn_no, year)
  select psn_no, extract(year from begin_date)::int from insurance_encounters where mdtrt_id = $1
  on conflict do nothing`,
};

const PRIOR_ONLY: PreparedStatement = {
  name: 'insurance_prior_message',
  text: `select institution_code, request_digest, response from insurance_messages where msgid = $1`,
};

/** The message row, written only when the statement's guard (`ok`) holds. */
const MESSAGE = (n: number) =>
  `msg as (insert into insurance_messages (msgid, institution_code, infno, request_digest, response, created_at)
    select $${n}, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}::timestamptz where exists (select 1 from ok))`;

/**
 * The guard of 2301: the encounter is still open and the institution's, and the msgid has not been
 * answered (a resend reads its answer), locked until the statement ends.
 */
const UPLOAD_OK = `ok as (select 1 from insurance_encounters where mdtrt_id = $1 and status = 'open' and institution_code = $16
    and not exists (select 1 from insurance_messages where msgid = $10) for update)`;

export interface MessageRow {
  msgid: string;
  institutionCode: string;
  infno: string;
  requestDigest: string;
  /** The answer, as JSON text. */
  response: string;
  createdAt: Date;
}

const messageValues = (m: MessageRow) => [m.msgid, m.institutionCode, m.infno, m.requestDigest, m.response, m.createdAt.toISOString()];

/**
 * 2301's effect and answer, when its guard holds: the lines (a feedetl_sn uploaded before fails the
 * whole statement on the primary key), the pre-settlement made stale and the lines' version raised,
 * the message. It also returns what a 2303 computes from, as this statement leaves it: the
 * encounter, its person and year's totals, the lines before it (as its snapshot saw them; its own
 * the caller has, and they are not sent back) and the new version; `seen` is the version its
 * snapshot saw, so the lines are whole only when `version` is `seen` + 1 (no other change came
 * between the snapshot and the lock).
 */
const UPLOAD_WRITE: PreparedStatement = {
  name: 'insurance_upload_write',
  text: `with ${UPLOAD_OK},
  ins as (
    insert into insurance_fee_lines (mdtrt_id, feedetl_sn, code, name_zh, item_class, quantity, unit_price_fen, price_limit_fen, msgid)
    select $1, v.sn, v.code, v.name, v.cls, v.qty, v.price, v.lim, $9
      from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[]) as v(sn, code, name, cls, qty, price, lim)
     where exists (select 1 from ok)
    returning 1),
  stale as (update insurance_encounters set presettle_digest = null, presettle_total_fen = null, lines_version = lines_version + 1
     where mdtrt_id = $1 and exists (select 1 from ok) returning lines_version),
  ${MESSAGE(10)}
  select (select count(*) from ok)::int as ok, (select count(*) from ins)::int as n, (select lines_version from stale) as version,
    e.lines_version as seen, row_to_json(e) as e,
    (select json_agg(${LINE_TUPLE}) from insurance_fee_lines l where l.mdtrt_id = $1) as lines,
    ${PERSON_AND_YEAR}
  where e.mdtrt_id = $1`,
};

/**
 * 2303's effect and answer, when everything it was computed from still stands: the encounter open
 * with the lines of that version, the person active with the same scheme, place of insurance and
 * account balance, the year's totals the same (no row counts as zeros); and the msgid not answered.
 * The person and the year are not checked when $11 is null (a cross-province pre-settlement: the
 * place of insurance computed it from its own, cross-province.ts).
 */
const PRESETTLE_WRITE: PreparedStatement = {
  name: 'insurance_presettle_write',
  text: `with ok as (
    select 1 from insurance_encounters e
      join insurance_persons p on p.psn_no = e.psn_no
      left join insurance_year_totals y on y.psn_no = e.psn_no and y.year = extract(year from e.begin_date)::int
     where e.mdtrt_id = $1 and e.status = 'open' and e.lines_version = $10
       and ($11::text is null or (p.status = 'active' and p.scheme = $11 and p.region = $12 and p.account_balance_fen = $13
         and coalesce(y.deductible_used_fen, 0) = $14 and coalesce(y.fund_paid_fen, 0) = $15 and coalesce(y.stays, 0) = $16))
       and not exists (select 1 from insurance_messages where msgid = $4)
    for update of e),
  pre as (update insurance_encounters set presettle_digest = $2, presettle_total_fen = $3 where mdtrt_id = $1 and exists (select 1 from ok)),
  ${MESSAGE(4)}
  select count(*)::int as ok from ok`,
};

/**
 * 2304's whole effect in one statement, when everything it was computed from still stands (the
 * guard `ok` locks the encounter, the year's totals and the person, whose coverage must still be
 * active: a settlement may have been computed by the process's own 2303, without a read of its
 * own, transactions.ts): the settlement row (naming
 * its ledger entry, which the ledger queues in the same statement), the year's totals, the
 * personal account (when it paid), the encounter settled, the message and the outbox event.
 */
function settleStatement(events: { enqueueSql(topic: number, payload: number, onlyIf?: string): string }) {
  return (entryId: string) => ({
    name: 'insurance_settle_write',
    ctes: `ok as (
    select 1 from insurance_encounters e
      join insurance_year_totals y on y.psn_no = $3 and y.year = $4
      join insurance_persons p on p.psn_no = $3
     where e.mdtrt_id = $1 and e.status = 'open' and e.presettle_digest = $2
       and y.deductible_used_fen = $5 and y.fund_paid_fen = $6 and y.stays = $7
       and ($8::bigint is null or p.account_balance_fen = $8::bigint) and p.status = 'active'
    for update of e, y, p),
  inserted as (
    insert into insurance_settlements (setl_id, mdtrt_id, psn_no, institution_code, treatment_region, insurance_region, year, status,
      policy_version, total_fen, inscp_fen, deductible_fen, hifp_pay_fen, acct_pay_fen, cash_pay_fen, counts_stay, result, list, msgid,
      settled_at, day, ledger_entry_id)
    select $14, $1, $3, $15, $16, $17, $4, 'settled', $18, $19, $20, $9, $10, $11, $21, $12::int = 1, $22::jsonb, $23::jsonb, $24,
      $13::timestamptz, $25::date, ${entryId}
     where exists (select 1 from ok)
    returning ledger_entry_id as entry_id),
  totals as (
    update insurance_year_totals set deductible_used_fen = deductible_used_fen + $9, fund_paid_fen = fund_paid_fen + $10,
      account_paid_fen = account_paid_fen + $34, stays = stays + $12
     where psn_no = $3 and year = $4 and exists (select 1 from ok)),
  account as (
    update insurance_persons set account_balance_fen = account_balance_fen - $34, updated_at = $13::timestamptz
     where psn_no = $3 and $34::bigint > 0 and exists (select 1 from ok)),
  settled as (update insurance_encounters set status = 'settled' where mdtrt_id = $1 and exists (select 1 from ok)),
  ${MESSAGE(26)},
  event as (${events.enqueueSql(32, 33, 'exists (select 1 from ok)')})`,
    select: 'select (select count(*) from ok)::int as ok',
  });
}

export interface SettleWrite {
  mdtrtId: string;
  /** The pre-settlement's digest, which the settlement matched. */
  digest: string;
  psnNo: string;
  year: number;
  /** The year's totals and the account balance the settlement was computed from (null: the account was not used). */
  before: { deductibleUsedFen: number; fundPaidFen: number; stays: number; accountBalanceFen: number | null };
  deductibleFen: number;
  hifpPayFen: number;
  /** The settlement's personal-account part. */
  acctPayFen: number;
  /** What leaves the account held here (the account part, or 0 when another province's node holds the account). */
  accountDeltaFen: number;
  stay: boolean;
  at: Date;
  setlId: string;
  institutionCode: string;
  treatmentRegion: string;
  insuranceRegion: string;
  policyVersion: string;
  totalFen: number;
  inscpFen: number;
  cashPayFen: number;
  /** JSON text. */
  result: string;
  list: string | null;
  msgid: string;
  day: string;
  event: { topic: string; payload: Record<string, unknown> };
}

export interface Read {
  e: EncounterJson | null;
  p: PersonJson | null;
  y: YearJson | null;
  prior: PriorMessage | null;
  lines: LineTuple[] | null;
}

/** What a 2303 computes from: the encounter (with its lines' version), its person, the year's totals, its lines. */
export interface EncounterState {
  e: EncounterJson;
  p: PersonJson;
  y: YearJson | null;
  lines: LineTuple[];
}

/** A read's encounter state (its encounter and person found; no lines is none). */
export const stateOf = (read: Read): EncounterState => ({ e: read.e!, p: read.p!, y: read.y, lines: read.lines ?? [] });

export function createWindowStatements(deps: {
  ledger: {
    appendWithStatement<T>(
      db: Executor,
      entry: { kind: string; data: Uint8Array },
      statement: (entryId: string) => { name: string; ctes: string; select: string },
      values: readonly unknown[],
    ): Promise<T[]>;
  };
  events: { enqueueSql(topic: number, payload: number, onlyIf?: string): string };
}) {
  const settle = settleStatement(deps.events);
  return {
    async lockEncounter(tx: Executor, mdtrtId: string): Promise<void> {
      await queryPrepared(tx, LOCK_ENCOUNTER, [mdtrtId]);
    },
    async uploadRead(ex: Executor, mdtrtId: string, msgid: string): Promise<Pick<Read, 'e' | 'prior'> | null> {
      const [row] = await queryPrepared<Pick<Read, 'e' | 'prior'>>(ex, UPLOAD_READ, [mdtrtId, msgid]);
      return row ?? null;
    },
    /** 2303 and 2304's read; when the year has no totals row yet, it is made and the read done again. */
    async settleRead(ex: Executor, mdtrtId: string, msgid: string): Promise<Read | null> {
      const [row] = await queryPrepared<Read>(ex, SETTLE_READ, [mdtrtId, msgid]);
      if (!row || row.y || !row.e || row.prior) return row ?? null;
      await queryPrepared(ex, ENSURE_YEAR, [mdtrtId]);
      const [again] = await queryPrepared<Read>(ex, SETTLE_READ, [mdtrtId, msgid]);
      return again ?? null;
    },
    async prior(ex: Executor, msgid: string): Promise<PriorMessage | null> {
      const [row] = await queryPrepared<PriorMessage>(ex, PRIOR_ONLY, [msgid]);
      return row ?? null;
    },
    /**
     * How many lines were written and the encounter as it then stands (`state`: null when another
     * change to its lines came in between, so its lines are not whole), or null when the guard
     * failed (not open, another institution's, the msgid answered, no such encounter): nothing written.
     */
    async uploadWrite(
      ex: Executor,
      mdtrtId: string,
      institutionCode: string,
      lines: readonly { sn: string; code: string; name: string; cls: string; qty: number; price: number; limit: number | null }[],
      message: MessageRow,
    ): Promise<{ n: number; state: EncounterState | null } | null> {
      const [row] = await queryPrepared<
        Pick<Read, 'e' | 'p' | 'y' | 'lines'> & { ok: number; n: number; version: number | null; seen: number }
      >(ex, UPLOAD_WRITE, [
        mdtrtId,
        lines.map((l) => l.sn),
        lines.map((l) => l.code),
        lines.map((l) => l.name),
        lines.map((l) => l.cls),
        lines.map((l) => l.qty),
        lines.map((l) => l.price),
        lines.map((l) => l.limit),
        message.msgid,
        ...messageValues(message),
        institutionCode,
      ]);
      if (!row || Number(row.ok) !== 1) return null;
      const whole = row.version !== null && Number(row.version) === Number(row.seen) + 1 && row.e && row.p;
      if (!whole) return { n: Number(row.n), state: null };
      // Its own lines, as LINE_TUPLE has them, after those before it.
      const mine = lines.map((l): LineTuple => [l.sn, l.code, l.cls as ItemClass, l.qty, l.price, l.limit, l.name]);
      return {
        n: Number(row.n),
        state: { e: { ...row.e!, lines_version: Number(row.version) }, p: row.p!, y: row.y, lines: [...(row.lines ?? []), ...mine] },
      };
    },
    /** Whether it was written (false: something it was computed from has changed, or the msgid was answered; read again). */
    async presettleWrite(
      ex: Executor,
      mdtrtId: string,
      digest: string,
      totalFen: number,
      from: EncounterState,
      message: MessageRow,
      /** Whether the person and the year's totals must be as `from` has them (not for another province's pre-settlement). */
      local = true,
    ): Promise<boolean> {
      const { e, p, y } = from;
      const [row] = await queryPrepared<{ ok: number }>(ex, PRESETTLE_WRITE, [
        mdtrtId,
        digest,
        totalFen,
        ...messageValues(message),
        e.lines_version,
        local ? p.scheme : null,
        p.region,
        p.account_balance_fen,
        y?.deductible_used_fen ?? 0,
        y?.fund_paid_fen ?? 0,
        y?.stays ?? 0,
      ]);
      return Number(row!.ok) === 1;
    },
    /** Whether it was written (false: something it was computed from has changed; read again). */
    async settleWrite(ex: Executor, w: SettleWrite, message: MessageRow, leaf: { kind: string; data: Uint8Array }): Promise<boolean> {
      const rows = await deps.ledger.appendWithStatement<{ ok: number }>(ex, leaf, settle, [
        w.mdtrtId,
        w.digest,
        w.psnNo,
        w.year,
        w.before.deductibleUsedFen,
        w.before.fundPaidFen,
        w.before.stays,
        w.before.accountBalanceFen,
        w.deductibleFen,
        w.hifpPayFen,
        w.acctPayFen,
        w.stay ? 1 : 0,
        w.at.toISOString(),
        w.setlId,
        w.institutionCode,
        w.treatmentRegion,
        w.insuranceRegion,
        w.policyVersion,
        w.totalFen,
        w.inscpFen,
        w.cashPayFen,
        w.result,
        w.list,
        w.msgid,
        w.day,
        ...messageValues(message),
        w.event.topic,
        JSON.stringify(w.event.payload),
        w.accountDeltaFen,
      ]);
      return Number(rows[0]!.ok) === 1;
    },
  };
}

export type WindowStatements = ReturnType<typeof createWindowStatements>;
