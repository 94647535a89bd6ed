import { sql } from 'drizzle-orm';
import { bigint, customType, integer, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { ledgerWitnesses } from './ledger.tables.ts';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

/**
 * Yiban as a witness (C2SP tlog-witness): the logs it witnesses, one row per origin, with the
 * latest checkpoint it cosigned. `size` and `root_hash` only move by a conditional update from
 * the old size the request names (compare-and-swap), so two requests from the same old size
 * cannot both advance; a new log starts at the empty tree.
 */
export const witnessLogs = pgTable('witness_logs', {
  origin: text('origin').primaryKey(),
  /** The log's Ed25519 vkey (its name is the origin). */
  vkey: text('vkey').notNull(),
  size: bigint('size', { mode: 'number' }).notNull().default(0),
  rootHash: bytea('root_hash').notNull(),
  /** The latest cosigned checkpoint: the log's signature and this witness's cosignature; null before the first. */
  note: text('note'),
  /** Where the log serves its tiles (`<url>/ledger/tile/…`), for checking what peers cosigned; optional. */
  url: text('url'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Evidence of a log showing two histories: both signed checkpoints, as received. FORK: two
 * roots for one size, which only the log's key can sign (conclusive). INCONSISTENT: a larger
 * tree that the proof given (`proof`, base64 lines, unsigned) does not link to the smaller one:
 * conclusive once the log's own tiles cannot link them either, since a proof can be garbled on
 * the way. One row per pair of notes (evidence_digest).
 */
export const witnessFindings = pgTable(
  'witness_findings',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    origin: text('origin').notNull(),
    kind: text('kind').notNull(),
    /** The checkpoint this witness held (or the smaller of the two). */
    heldNote: text('held_note').notNull(),
    /** The checkpoint that contradicts it. */
    otherNote: text('other_note').notNull(),
    /** Where the other one came from: `add-checkpoint` or `gossip <peer url>`. */
    source: text('source').notNull(),
    /** INCONSISTENT: the consistency proof that failed, one base64 hash a line. */
    proof: text('proof'),
    detail: text('detail').notNull(),
    evidenceDigest: text('evidence_digest').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('witness_findings_evidence').on(t.origin, t.evidenceDigest)],
);

/**
 * Yiban as a log: where a registered witness takes checkpoints (`<url>/add-checkpoint`) and the
 * size it last cosigned, with the retry state of the pusher (witness-push.ts).
 */
export const ledgerWitnessPushes = pgTable('ledger_witness_pushes', {
  witness: text('witness')
    .primaryKey()
    .references(() => ledgerWitnesses.name, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  /** The old size for the next request: the size the witness last cosigned, as far as the log knows. */
  knownSize: bigint('known_size', { mode: 'number' }).notNull().default(0),
  failures: integer('failures').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true })
    .notNull()
    .default(sql`now()`),
  lastError: text('last_error'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
