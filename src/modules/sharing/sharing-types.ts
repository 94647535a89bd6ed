import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../db/database.ts';
import type { PreparedStatement } from '../../db/prepared.ts';
import type { Principal } from '../identity/index.ts';
import type { SigningKey, Sm2SigningKey } from './http-signature-keys.ts';
import type { ExternalAdapterDeps, LicenceLibrary } from './provider-adapters.ts';
import type { DatasetField, ProviderConfig } from './sharing.tables.ts';
import type { DatasetSchema, ExchangeResultSchema, ExchangeSchema, GrantSchema } from './sharing.schemas.ts';

/** Queues leaves in the caller's transaction; the ledger's sequencer numbers them soon after. */
export interface SharingLedger {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
  /** Many leaves in the caller's transaction; their ids in input order. */
  appendManyInTx(tx: Executor, entries: readonly { kind: string; data: Uint8Array }[]): Promise<{ ids: number[] }>;
  /** Queues a leaf in the same statement as an insert that names it; null (and no leaf) when the insert wrote nothing. */
  appendWithInsert(
    db: Executor,
    entry: { kind: string; data: Uint8Array },
    insert: (entryId: string) => PreparedStatement,
    values: readonly unknown[],
  ): Promise<{ id: number } | null>;
  /** The indexes of the sequenced entries among `ids`. */
  indexesOf(ids: readonly number[]): Promise<Map<number, number>>;
}

export interface SharingOrgDirectory {
  getOrg(code: string): Promise<{ code: string; name: string; path: string } | null>;
  /** The org's name from the orgs service's per-process cache; null when there is no such org. */
  nameOf(code: string): Promise<string | null>;
}

/** The case an exchange is for, as the caller may see it (applications' getCaseRef: a 404 otherwise). */
export interface SharingCaseDirectory {
  getCaseRef(principal: Principal, caseId: string): Promise<{ id: string; orgCode: string; orgPath: string; applicantId: string }>;
}

export interface SharingResidentDirectory {
  revealResidentId(residentAccountId: string): Promise<string | null>;
}

/** The outbox: an event written in the caller's transaction (the events module's `enqueue`). */
export interface SharingEvents {
  enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<number>;
}

/** Announced in the transaction that completes an exchange (the dashboards count them per org). */
export const EXCHANGE_COMPLETED_TOPIC = 'sharing.exchange_completed';

export interface DataSharingDeps {
  db: Db;
  masterKey: Buffer;
  ledger: SharingLedger;
  events: SharingEvents;
  orgs: SharingOrgDirectory;
  cases: SharingCaseDirectory;
  residents: SharingResidentDirectory;
  /** The e-licence library: the certificates issued on the platform (the certificates service). */
  licences: LicenceLibrary;
  /**
   * The external adapter: the platform's sharing keys, Ed25519 and SM2 (each by default derived
   * from the master key; the SM2 one only when an SM2 department is first addressed), and the
   * retry timing. Each dataset's provider config names the department, its key and attempts.
   */
  external?: Omit<ExternalAdapterDeps, 'key' | 'sm2KeyOf' | 'clock'> & { key?: SigningKey; sm2Key?: Sm2SigningKey };
  clock?: () => Date;
}

export interface DatasetDef {
  code: string;
  providerOrgCode: string;
  nameZh: string;
  nameEn: string;
  fields: DatasetField[];
  legalBasis: string;
  provider: ProviderConfig;
}

/** A dataset as the catalogue shows it (the Dataset response schema). */
export type DatasetView = Static<typeof DatasetSchema>;

export interface CreateGrantInput {
  datasetCode: string;
  consumerOrgCode: string;
  fields: string[];
  purpose: string;
  legalBasis: string;
  /** Required when consentRequired is false: the code of the cited entry of the legal-basis catalogue. */
  legalBasisCode?: string | undefined;
  consentRequired: boolean;
  validUntil: Date;
}

/** A grant as its provider, consumer or supervisor sees it (the Grant response schema). */
export type GrantView = Static<typeof GrantSchema>;

export interface ExchangeRequestInput {
  /** The consumer's idempotency key. */
  requestKey: string;
  datasetCode: string;
  fields: string[];
  purpose: string;
  caseId: string;
}

/**
 * An exchange as its consumer or its resident sees it: who, what, why — never the data itself
 * (the Exchange response schema: `ledgerEntryId` once completed, `ledgerIndex` once sequenced).
 */
export type ExchangeView = Static<typeof ExchangeSchema>;

/** An exchange request's answer (the ExchangeResult response schema): `data` once completed, null when the provider holds no record. */
export type ExchangeResult = Static<typeof ExchangeResultSchema>;
