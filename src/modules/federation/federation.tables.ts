import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid, index, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** A member's message-signing key as the directory publishes it (SM2, `alg` sm2-sm3). */
export interface MemberKey {
  keyId: string;
  alg: 'sm2-sm3';
  /** SubjectPublicKeyInfo DER, base64. */
  publicKeySpki: string;
  notBefore: string;
  notAfter: string;
}

/** A status list signer of a member (its certificate chained to the member's root), for the national trust list. */
export type StatusSigners = Record<string, { certificate: string; chain?: string }>;

/** A member's ledger keys as the directory publishes them: its log's and its witness's Ed25519 vkeys (C2SP signed note). */
export interface MemberLedger {
  logVkey: string;
  witnessVkey: string;
}

export type MemberStatus = 'pending' | 'approved' | 'rejected' | 'revoked';

/** A member's request to roll its message key: signed by a key on file, naming the new one (until the operator approves or rejects it). */
export interface KeyChange {
  key: MemberKey;
  /** The key on file that signed the request. */
  signedBy: string;
  requestedAt: string;
}

/**
 * The hub's directory: every node that asked to join, and whether the hub operator approved it.
 * Only approved members are published; a request alone trusts nobody.
 */
export const federationMembers = pgTable(
  'federation_members',
  {
    /** `CN/GOV/<division code>/<subsystem>`. */
    memberId: text('member_id').primaryKey(),
    name: text('name').notNull(),
    /** The node's public base URL; messages go to `<endpoint>/api/federation/messages`. */
    endpoint: text('endpoint').notNull(),
    status: text('status').$type<MemberStatus>().notNull().default('pending'),
    keys: jsonb('keys').$type<MemberKey[]>().notNull(),
    services: jsonb('services').$type<string[]>().notNull().default([]),
    datasets: jsonb('datasets').$type<string[]>().notNull().default([]),
    /** The member's own (self-signed) SM2 root certificate, PEM. */
    rootCertificate: text('root_certificate').notNull(),
    /** The same root's certificate issued by the national root (cross-signed at approval), PEM. */
    nationalCertificate: text('national_certificate'),
    statusSigners: jsonb('status_signers').$type<StatusSigners>().notNull().default({}),
    /** Its ledger's log key and its witness key: every other member witnesses its log with them. */
    ledger: jsonb('ledger').$type<MemberLedger>(),
    /** A key change waiting for the operator (the member stays published with its current keys meanwhile). */
    keyChange: jsonb('key_change').$type<KeyChange>(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    /** When the operator revoked it: it left the directory and the trust list, and may not ask again. */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    /** When the operator rejected its request, and why (shown to the operator; the member may ask again). */
    rejectedAt: timestamp('rejected_at', { withTimezone: true }),
    rejectionReason: text('rejection_reason'),
    /** Every change moves it; the directory's version is the latest. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [check('federation_members_status_check', sql`${t.status} in ('pending','approved','rejected','revoked')`)],
);

/** A province's pinned hub: the key its directory and trust list must be signed with (pinned at join). */
export const federationHub = pgTable('federation_hub', {
  hubUrl: text('hub_url').primaryKey(),
  memberId: text('member_id').notNull(),
  keyId: text('key_id').notNull(),
  publicKeySpki: text('public_key_spki').notNull(),
  pinnedAt: timestamp('pinned_at', { withTimezone: true }).notNull(),
});

/** Signed documents fetched from the hub (directory, trust list), each kept as received, by kind and version. */
export const federationDocuments = pgTable(
  'federation_documents',
  {
    kind: text('kind').$type<'directory' | 'trust-list'>().notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    /** The signed envelope exactly as served (JSON text). */
    envelope: text('envelope').notNull(),
    fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.version] })],
);

export type MessageDirection = 'out' | 'in';
export type MessageStatus = 'pending' | 'delivered' | 'refused' | 'applied';

/**
 * Messages between nodes, both ways. Outgoing rows are written in the sender's transaction with
 * the outbox event that delivers them; incoming rows are written once per message id (the primary
 * key), in the transaction that applies them, so a replay is answered from the row.
 */
export const federationMessages = pgTable(
  'federation_messages',
  {
    direction: text('direction').$type<MessageDirection>().notNull(),
    id: uuid('id').notNull(),
    fromMember: text('from_member').notNull(),
    toMember: text('to_member').notNull(),
    type: text('type').notNull(),
    /**
     * Legacy: the body in clear, as rows were written before bodies were sealed; `sealLegacyMessages`
     * (run at every start) moves it to `sealed_body` and empties it. Nothing writes it any more.
     */
    body: text('body'),
    /**
     * The message body exactly as signed and sent (JSON text: hand-overs, applications, evidence and
     * insurance calls carry the resident's ID number and name), sealed under the master key
     * (message-vault.ts): every retry sends the same bytes. Null once pruned (`prunedAt`).
     */
    sealedBody: text('sealed_body'),
    /** SHA-256 hex of the body: a replay of the same bytes is answered from the row even once the body is pruned. */
    bodyDigest: text('body_digest').notNull(),
    /** When the body of this done message (applied, delivered) was dropped after the retention period. */
    prunedAt: timestamp('pruned_at', { withTimezone: true }),
    created: timestamp('created', { withTimezone: true }).notNull(),
    status: text('status').$type<MessageStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** The receiver's answer (out: as received and verified; in: as given). */
    response: jsonb('response').$type<Record<string, unknown>>(),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }),
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.direction, t.id] }),
    index('federation_messages_pending_idx')
      .on(t.created)
      .where(sql`${t.status} = 'pending'`),
    // The start's backfill finds the rows still in clear without reading the table (none, after the first start).
    index('federation_messages_clear_idx')
      .on(t.created)
      .where(sql`${t.body} is not null`),
    // The prune's scan: done messages (applied, delivered, or refused for good) whose body is still kept, oldest first.
    index('federation_messages_prunable_idx')
      .on(t.doneAt)
      .where(sql`${t.prunedAt} is null and ${t.status} in ('applied','delivered','refused')`),
    check('federation_messages_direction_check', sql`${t.direction} in ('out','in')`),
  ],
);

/**
 * The hub's record of what members cosigned (cross-witnessing): each report of a witness that it
 * cosigned a member's checkpoint, the note with the log's signature and the witness's cosignature.
 */
export const federationCosigned = pgTable(
  'federation_cosigned',
  {
    /** The member whose ledger the checkpoint is of. */
    memberId: text('member_id').notNull(),
    /** The member that cosigned it. */
    witnessId: text('witness_id').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    rootHash: text('root_hash').notNull(),
    note: text('note').notNull(),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.witnessId, t.size, t.rootHash] }),
    index('federation_cosigned_member_idx').on(t.memberId, t.size),
  ],
);

/** Evidence that a member showed two histories: two checkpoints it signed that cannot both be true. */
export const federationEquivocations = pgTable('federation_equivocations', {
  evidenceDigest: text('evidence_digest').primaryKey(),
  memberId: text('member_id').notNull(),
  kind: text('kind').$type<'FORK' | 'INCONSISTENT'>().notNull(),
  noteA: text('note_a').notNull(),
  noteB: text('note_b').notNull(),
  detail: text('detail').notNull(),
  detectedAt: timestamp('detected_at', { withTimezone: true }).notNull(),
});
