import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** This node's side of a cross-province case (异地代收代办): the accepting node sends, the handling node receives. */
export type CrossCaseSide = 'sender' | 'receiver';
/** handed-over (A sent it), received (B has it, no case yet), accepted (B's case exists), decided, refused (B could not open it). */
export type CrossCaseState = 'handed-over' | 'received' | 'accepted' | 'decided' | 'refused';

/** How the case came: at province A's window (异地代收代办) or online by the resident at home (全程网办). */
export type CrossCaseChannel = 'window' | 'online';

/** A material as it crosses: its name and digest, never its bytes. */
export interface CrossCaseMaterial {
  name: string;
  sha256: string;
}

/**
 * Cross-province cases with their states on this node. The sender's row is the clerk's hand-over;
 * the receiver's row ties the `case.handover` message to the local case it opened (one per message).
 */
export const federationCases = pgTable(
  'federation_cases',
  {
    id: uuid('id').primaryKey(),
    side: text('side').$type<CrossCaseSide>().notNull(),
    /** The other node's member id. */
    peer: text('peer').notNull(),
    /** The `case.handover` message id (both sides know it). */
    handoverMessageId: uuid('handover_message_id').notNull(),
    /** The sender's row id, as the receiver's answers name it. */
    originRef: uuid('origin_ref').notNull(),
    serviceCode: text('service_code').notNull(),
    form: jsonb('form').$type<Record<string, unknown>>().notNull(),
    materials: jsonb('materials').$type<CrossCaseMaterial[]>().notNull().default([]),
    applicantMasked: text('applicant_masked').notNull(),
    /** The keyed hash of the applicant's ID number under THIS node's master key (each node keys what the message carries). */
    applicantKey: text('applicant_key').notNull(),
    /** The applicant's resident account on this node: the online applicant (sender), the matched or registered one (receiver). */
    applicantId: uuid('applicant_id'),
    channel: text('channel').$type<CrossCaseChannel>().notNull().default('window'),
    /** The Idempotency-Key of the online applicant's or the clerk's request (sender): a retry finds the first. */
    requestKey: text('request_key'),
    state: text('state').$type<CrossCaseState>().notNull(),
    /** The handling node's case (local on the receiver, remote on the sender). */
    caseId: uuid('case_id'),
    decision: text('decision'),
    reason: text('reason'),
    certificateId: text('certificate_id'),
    /** The certificate the handling node issued, as it sealed it (a bundle without its ledger proof; sender only). */
    certificate: jsonb('certificate').$type<Record<string, unknown>>(),
    /** The clerk who handed it over (sender only). */
    clerkId: uuid('clerk_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('federation_cases_message_uq').on(t.side, t.handoverMessageId),
    index('federation_cases_case_idx').on(t.caseId),
    index('federation_cases_applicant_idx').on(t.applicantKey),
    uniqueIndex('federation_cases_request_uq').on(t.applicantId, t.requestKey),
    uniqueIndex('federation_cases_clerk_request_uq').on(t.clerkId, t.requestKey),
  ],
);
