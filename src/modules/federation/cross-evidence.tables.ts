import type { CertificateBundle } from '../../verify/bundle.ts';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** This node's side of an evidence exchange: the case's node requests, the e-licence library's node provides. */
export type EvidenceSide = 'requester' | 'provider';
/**
 * requester: requested → none (B has no such certificate) | invalid (it did not verify: deleted) |
 * pending_preview (verified, only the resident sees it) → attached (consented) | refused (deleted).
 * provider: received → provided | none.
 */
export type EvidenceState = 'requested' | 'none' | 'invalid' | 'pending_preview' | 'attached' | 'refused' | 'received' | 'provided';

/** What the provider sends: the certificate bundle as B's verifier would check it, and its signed status lists. */
export interface EvidenceDocument {
  bundle: CertificateBundle;
  statusLists: unknown[];
}

/** The verification the requester ran when the evidence arrived (against the national trust list). */
export interface EvidenceVerification {
  verdict: string;
  checks: { check: string; result: string; reason?: string; detail?: string }[];
  verifiedAt: string;
}

/**
 * Evidence across provinces (issue 16, service 3, OOTS-like). No ID number is kept: the requester
 * knows the resident by account, the provider by its own keyed hash of the ID number.
 */
export const federationEvidence = pgTable(
  'federation_evidence',
  {
    id: uuid('id').primaryKey(),
    side: text('side').$type<EvidenceSide>().notNull(),
    /** The other node's member id. */
    peer: text('peer').notNull(),
    /** The `evidence.request` message id (both sides know it; null on the requester until sent). */
    requestMessageId: uuid('request_message_id'),
    /** The requester's row id, as the provider's answer names it. */
    originRef: uuid('origin_ref').notNull(),
    /** The requester's case (a local case id on the requester; the requester's reference on the provider). */
    caseRef: text('case_ref').notNull(),
    /** A certificate type code (the directory lists `licence.<type>` among a member's datasets). */
    evidenceType: text('evidence_type').notNull(),
    /** requester: the resident who asked. */
    residentAccountId: uuid('resident_account_id'),
    /** provider: the keyed hash of the ID number under this node's own key. */
    subjectKey: text('subject_key'),
    state: text('state').$type<EvidenceState>().notNull(),
    /** requester: the resident's Idempotency-Key and a hash of what was asked. */
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    /** requester: the evidence while pending preview or attached; null once refused or invalid. */
    document: jsonb('document').$type<EvidenceDocument>(),
    /** SHA-256 of the canonical document (kept after deletion: what the ledger leaves name). */
    digest: text('digest'),
    verification: jsonb('verification').$type<EvidenceVerification>(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('federation_evidence_message_uq').on(t.side, t.requestMessageId),
    uniqueIndex('federation_evidence_idempotency_uq').on(t.residentAccountId, t.idempotencyKey),
    index('federation_evidence_case_idx').on(t.caseRef),
  ],
);
