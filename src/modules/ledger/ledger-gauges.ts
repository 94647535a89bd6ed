import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { ledgerCheckpoints, ledgerHead, ledgerQueue } from './ledger.tables.ts';
import { ledgerWitnessPushes } from './witness.tables.ts';

/** The log's size and backlog, for the operations metrics (GET /metrics): counts only, nothing of any entry. */
export interface LedgerGauges {
  /** Sequenced entries (the next index). */
  entries: number;
  /** Entries queued by writers and not yet sequenced. */
  queued: number;
  /** Seconds since the oldest queued entry was written; null when the queue is empty. */
  oldestQueuedAgeSeconds: number | null;
  /** The size of the newest signed checkpoint; null before the first one. */
  checkpointSize: number | null;
  /** Seconds since the newest signed checkpoint was stored; null before the first one. */
  checkpointAgeSeconds: number | null;
  /** Witnesses the log pushes checkpoints to whose last push failed (unreachable, refusing, or answering wrong). */
  witnessesFailing: number;
  /**
   * How many entries the largest tree a witness says it cosigned goes past this log's newest
   * checkpoint; 0 normally. Above 0 the database holds less than the log once signed (restored to
   * an earlier point, or another copy of the node signing), or a witness misreports.
   */
  witnessLeadEntries: number;
}

/**
 * One statement: the head row, the queue (drained every 50 ms, so small unless the sequencer is
 * stuck — which is what this measures), the newest checkpoint by primary key and the witnesses'
 * push states (a handful of rows). Ages are taken on the database's clock, which wrote the
 * timestamps. No access check: platform-wide counts with nothing about anyone; the HTTP endpoint
 * that shows them guards itself (src/http/metrics.ts).
 */
export async function readLedgerGauges(db: Db): Promise<LedgerGauges> {
  const { rows } = await db.execute<{
    entries: string | number | null;
    queued: string | number;
    queue_age: string | number | null;
    cp_size: string | number | null;
    cp_age: string | number | null;
    witnesses_failing: string | number;
    witness_max: string | number | null;
  }>(sql`
    with cp as (select size, created_at from ${ledgerCheckpoints} order by size desc limit 1)
    select (select next_idx from ${ledgerHead} where id = 1) as entries,
      (select count(*) from ${ledgerQueue}) as queued,
      (select extract(epoch from now() - min(created_at)) from ${ledgerQueue}) as queue_age,
      (select size from cp) as cp_size,
      (select extract(epoch from now() - created_at) from cp) as cp_age,
      (select count(*) from ${ledgerWitnessPushes} where failures > 0) as witnesses_failing,
      (select max(known_size) from ${ledgerWitnessPushes}) as witness_max`);
  const row = rows[0];
  const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    entries: num(row?.entries) ?? 0,
    queued: num(row?.queued) ?? 0,
    oldestQueuedAgeSeconds: num(row?.queue_age),
    checkpointSize: num(row?.cp_size),
    checkpointAgeSeconds: num(row?.cp_age),
    witnessesFailing: num(row?.witnesses_failing) ?? 0,
    witnessLeadEntries: Math.max(0, (num(row?.witness_max) ?? 0) - (num(row?.cp_size) ?? 0)),
  };
}
