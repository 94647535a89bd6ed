/**
 * The window path's statements (2301 fee upload, 2303 pre-settlement, 2304 settlement): named, so
 * that each connection prepares them once, and few, because each statement is a round trip to
 * PostgreSQL. A transaction's first statement locks what it changes and reads everything else it
 * needs, the message its msgid may already have answered included; its last statement writes the
 * effect and the answer together. The rest of the interface goes through drizzle.
 */
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import type { EncounterWhere, MedType } from './insurance.tables.ts';
import type { ItemClass } from './settlement.ts';

/** A message row as row_to_json gives it (snake case). */
export interface PriorMessage {
  institution_code: string;
  request_digest: string;
  response: Record<string, unknown>;
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
const LINES = `(select json_agg(json_build_array(l.feedetl_sn, l.code, l.item_class, l.quantity, l.unit_price_fen, l.price_limit_fen, l.name_zh))
    from insurance_fee_lines l where l.mdtrt_id = e.mdtrt_id) as lines`;

const LOCK_ENCOUNTER: PreparedStatement = {
  name: 'insurance_lock_encounter',
  text: `select row_to_json(e) as e, ${PRIOR} from insurance_encounters e where e.mdtrt_id = $1 for update of e`,
};

/** 2303: the encounter locked; the person, the year's totals and the lines as they stand. */
const PRESETTLE_READ: PreparedStatement = {
  name: 'insurance_presettle_read',
  text: `select row_to_json(e) as e, row_to_json(p) as p, row_to_json(y) as y, ${PRIOR}, ${LINES}
  from insurance_encounters e
  join insurance_persons p on p.psn_no = e.psn_no
  left join insurance_year_totals y on y.psn_no = e.psn_no and y.year = extract(year from e.begin_date)::int
  where e.mdtrt_id = $1 for update of e`,
};

/** 2304: the encounter, the person and the year's totals locked (in that order); the lines. No row when the year has no totals row yet. */
const SETTLE_READ: PreparedStatement = {
  name: 'insurance_settle_read',
  text: `select row_to_json(e) as e, row_to_json(p) as p, row_to_json(y) as y, ${PRIOR}, ${LINES}
  from insurance_encounters e
  join insurance_persons p on p.psn_no = e.psn_no
  join insurance_year_totals y on y.psn_no = e.psn_no and y.year = extract(year from e.begin_date)::int
  where e.mdtrt_id = $1 for update of e, p, y`,
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

const MESSAGE = (n: number) =>
  `insert into insurance_messages (msgid, institution_code, infno, request_digest, response, created_at) values ($${n}, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`;

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

/** 2301's effect and answer: the lines (none twice), the pre-settlement made stale, the message. How many lines were new. */
const UPLOAD_WRITE: PreparedStatement = {
  name: 'insurance_upload_write',
  text: `with ins as (
    insert into insurance_fee_lines (mdtrt_id, feedetl_sn, code, name_zh, item_class, quantity, unit_price_fen, price_limit_fen, msgid)
    select $1, v.sn, v.code, v.name, v.cls, v.qty, v.price, v.lim, $9
      from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[]) as v(sn, code, name, cls, qty, price, lim)
    on conflict do nothing returning 1),
  stale as (update insurance_encounters set presettle_digest = null, presettle_total_fen = null where mdtrt_id = $1),
  msg as (${MESSAGE(10)})
  select count(*)::int as n from ins`,
};

const PRESETTLE_WRITE: PreparedStatement = {
  name: 'insurance_presettle_write',
  text: `with pre as (update insurance_encounters set presettle_digest = $2, presettle_total_fen = $3 where mdtrt_id = $1)
  ${MESSAGE(4)}`,
};

/**
 * 2304's effect besides the settlement row: the year's totals, the personal account (when it paid),
 * the encounter settled, the message.
 */
const SETTLE_WRITE: PreparedStatement = {
  name: 'insurance_settle_write',
  text: `with totals as (
    update insurance_year_totals set deductible_used_fen = deductible_used_fen + $3, fund_paid_fen = fund_paid_fen + $4,
      account_paid_fen = account_paid_fen + $5, stays = stays + $6
    where psn_no = $1 and year = $2),
  account as (update insurance_persons set account_balance_fen = account_balance_fen - $5, updated_at = $7 where psn_no = $1 and $5::bigint > 0),
  settled as (update insurance_encounters set status = 'settled' where mdtrt_id = $8),
  msg as (${MESSAGE(9)})
  select 1`,
};

/** The settlement row, naming its ledger entry (the ledger's appendWithInsert queues the leaf in the same statement). */
export function settlementInsert(entryId: string): PreparedStatement {
  return {
    name: 'insurance_settlement_insert',
    text: `insert into insurance_settlements (setl_id, mdtrt_id, psn_no, institution_code, treatment_region, insurance_region, year, status,
      policy_version, total_fen, inscp_fen, deductible_fen, hifp_pay_fen, acct_pay_fen, cash_pay_fen, counts_stay, result, list, msgid,
      settled_at, day, ledger_entry_id)
    values ($1, $2, $3, $4, $5, $6, $7, 'settled', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, ${entryId})
    returning ledger_entry_id as entry_id`,
  };
}

export interface Read {
  e: EncounterJson | null;
  p: PersonJson | null;
  y: YearJson | null;
  prior: PriorMessage | null;
  lines: LineTuple[] | null;
}

export const windowStatements = {
  async lockEncounter(tx: Executor, mdtrtId: string, msgid: string): Promise<Pick<Read, 'e' | 'prior'> | null> {
    const [row] = await queryPrepared<Pick<Read, 'e' | 'prior'>>(tx, LOCK_ENCOUNTER, [mdtrtId, msgid]);
    return row ?? null;
  },
  async presettleRead(tx: Executor, mdtrtId: string, msgid: string): Promise<Read | null> {
    const [row] = await queryPrepared<Read>(tx, PRESETTLE_READ, [mdtrtId, msgid]);
    return row ?? null;
  },
  /** 2304's read; when the year has no totals row yet, it is made and the read done again. */
  async settleRead(tx: Executor, mdtrtId: string, msgid: string): Promise<Read | null> {
    const [row] = await queryPrepared<Read>(tx, SETTLE_READ, [mdtrtId, msgid]);
    if (row) return row;
    await queryPrepared(tx, ENSURE_YEAR, [mdtrtId]);
    const [again] = await queryPrepared<Read>(tx, SETTLE_READ, [mdtrtId, msgid]);
    return again ?? null;
  },
  async prior(ex: Executor, msgid: string): Promise<PriorMessage | null> {
    const [row] = await queryPrepared<PriorMessage>(ex, PRIOR_ONLY, [msgid]);
    return row ?? null;
  },
  async uploadWrite(
    tx: Executor,
    mdtrtId: string,
    msgid: string,
    lines: readonly { sn: string; code: string; name: string; cls: string; qty: number; price: number; limit: number | null }[],
    message: MessageRow,
  ): Promise<number> {
    const [row] = await queryPrepared<{ n: number }>(tx, UPLOAD_WRITE, [
      mdtrtId,
      lines.map((l) => l.sn),
      lines.map((l) => l.code),
      lines.map((l) => l.name),
      lines.map((l) => l.cls),
      lines.map((l) => l.qty),
      lines.map((l) => l.price),
      lines.map((l) => l.limit),
      msgid,
      ...messageValues(message),
    ]);
    return Number(row!.n);
  },
  async presettleWrite(tx: Executor, mdtrtId: string, digest: string, totalFen: number, message: MessageRow): Promise<void> {
    await queryPrepared(tx, PRESETTLE_WRITE, [mdtrtId, digest, totalFen, ...messageValues(message)]);
  },
  async settleWrite(
    tx: Executor,
    w: {
      psnNo: string;
      year: number;
      deductibleFen: number;
      hifpPayFen: number;
      acctPayFen: number;
      stay: boolean;
      at: Date;
      mdtrtId: string;
    },
    message: MessageRow,
  ): Promise<void> {
    await queryPrepared(tx, SETTLE_WRITE, [
      w.psnNo,
      w.year,
      w.deductibleFen,
      w.hifpPayFen,
      w.acctPayFen,
      w.stay ? 1 : 0,
      w.at.toISOString(),
      w.mdtrtId,
      ...messageValues(message),
    ]);
  },
};
