import { sql } from 'drizzle-orm';
import { bigint, check, customType, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';

/** Raw bytes: Buffer from node-postgres, Uint8Array from PGlite; both are Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

/**
 * The next log index, in one row. Only the sequencer moves it, in the transaction that writes
 * the entries it numbers (one sequencer at a time, by advisory lock): writers never touch it.
 */
export const ledgerHead = pgTable(
  'ledger_head',
  {
    id: smallint('id').primaryKey().default(1),
    nextIdx: bigint('next_idx', { mode: 'number' }).notNull(),
  },
  (t) => [check('ledger_head_single_row', sql`${t.id} = 1`)],
);

/**
 * Entries written but not yet sequenced: writers insert here in their own transaction, with no
 * shared lock (the id comes from a sequence, which never waits). The sequencer moves them into
 * `ledger_entries` in id order, in batches, numbering them. `created_at` is the time the entry was
 * queued, which its receipt states.
 */
export const ledgerQueue = pgTable('ledger_queue', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  kind: text('kind').notNull(),
  data: bytea('data').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The log's sequenced entries, insert-only. `data` is the exact leaf (digests and identifiers
 * only, never personal data in clear); `leaf_hash` = SHA-256(0x00 ‖ data) is computed by the
 * database and cannot be written. `id`, `kind` and `created_at` (queued at) come from the queue
 * row: they are not in the leaf, so every checkpoint commits to them in its `meta` extension
 * line (see `metaRecord`), and the audit checks them there.
 */
export const ledgerEntries = pgTable('ledger_entries', {
  idx: bigint('idx', { mode: 'number' }).primaryKey(),
  /** The entry's id from the queue: what writers keep, and what a receipt names. */
  id: bigint('id', { mode: 'number' }).notNull().unique(),
  kind: text('kind').notNull(),
  data: bytea('data').notNull(),
  leafHash: bytea('leaf_hash')
    .notNull()
    .generatedAlwaysAs(sql`sha256('\\x00'::bytea || data)`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** C2SP tlog-tiles: the hashes of tree level 8·level, 256 per full tile; the last one partial. */
export const ledgerTiles = pgTable(
  'ledger_tiles',
  {
    level: smallint('level').notNull(),
    index: bigint('index', { mode: 'number' }).notNull(),
    width: smallint('width').notNull(),
    hashes: bytea('hashes').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.level, t.index] }),
    check('ledger_tiles_width', sql`${t.width} between 1 and 256 and length(${t.hashes}) = 32 * ${t.width}`),
  ],
);

/** Signed checkpoints: the C2SP signed note of the tree of each size the log published. */
export const ledgerCheckpoints = pgTable('ledger_checkpoints', {
  size: bigint('size', { mode: 'number' }).primaryKey(),
  rootHash: bytea('root_hash').notNull(),
  note: text('note').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Witnesses whose cosignatures the log accepts (C2SP tlog-cosignature, key type 0x04). */
export const ledgerWitnesses = pgTable('ledger_witnesses', {
  name: text('name').primaryKey(),
  vkey: text('vkey').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A witness's signature line for the checkpoint of a size; the newest one is kept. */
export const ledgerCosignatures = pgTable(
  'ledger_cosignatures',
  {
    size: bigint('size', { mode: 'number' })
      .notNull()
      .references(() => ledgerCheckpoints.size),
    witness: text('witness')
      .notNull()
      .references(() => ledgerWitnesses.name, { onDelete: 'cascade' }),
    signature: text('signature').notNull(),
    /** The time the witness states in its cosignature (Unix seconds). */
    cosignedAt: bigint('cosigned_at', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.size, t.witness] })],
);

/** The log's Ed25519 key, per key name (the origin); the seed is AES-256-GCM encrypted. */
export const ledgerKeys = pgTable('ledger_keys', {
  name: text('name').primaryKey(),
  publicKey: bytea('public_key').notNull(),
  secretKeyEncrypted: text('secret_key_encrypted').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
