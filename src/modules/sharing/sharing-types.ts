import type { Db, Executor } from '../../db/database.ts';
import type { PreparedStatement } from '../../db/prepared.ts';
import type { Principal } from '../identity/index.ts';
import type { SigningKey } from './http-signature-keys.ts';
import type { ExternalAdapterDeps, FetchResult, LicenceLibrary } from './provider-adapters.ts';
import type { DatasetField, ExchangeStatus, GrantStatus, ProviderConfig } from './sharing.tables.ts';
import type { LegalBasis } from './legal-bases.ts';

/** Queues leaves in the caller's transaction; the ledger's sequencer numbers them soon after. */
export interface SharingLedger {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
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

export interface DataSharingDeps {
  db: Db;
  masterKey: Buffer;
  ledger: SharingLedger;
  orgs: SharingOrgDirectory;
  cases: SharingCaseDirectory;
  residents: SharingResidentDirectory;
  /** The e-licence library: the certificates issued on the platform (the certificates service). */
  licences: LicenceLibrary;
  /**
   * The external adapter: the platform's sharing key (default: derived from the master key) and
   * the retry timing. Each dataset's provider config names the department, its key and attempts.
   */
  external?: Omit<ExternalAdapterDeps, 'key' | 'clock'> & { key?: SigningKey };
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

export interface DatasetView extends Omit<DatasetDef, 'provider' | 'providerOrgCode'> {
  provider: { code: string; name: string };
  adapter: ProviderConfig['kind'];
}

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

export interface GrantView {
  id: string;
  datasetCode: string;
  provider: { code: string; name: string };
  consumer: { code: string; name: string };
  fields: string[];
  purpose: string;
  legalBasis: string;
  consentRequired: boolean;
  status: GrantStatus;
  /** The cited catalogue entry of a waived-consent grant. */
  legalBasisRef: LegalBasis | null;
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  validUntil: string;
  revokedAt: string | null;
  createdAt: string;
}

export interface ExchangeRequestInput {
  /** The consumer's idempotency key. */
  requestKey: string;
  datasetCode: string;
  fields: string[];
  purpose: string;
  caseId: string;
}

/** An exchange as its consumer or its resident sees it: who, what, why — never the data itself. */
export interface ExchangeView {
  id: string;
  status: ExchangeStatus;
  dataset: { code: string; nameZh: string; nameEn: string };
  provider: { code: string; name: string };
  consumer: { code: string; name: string };
  fields: DatasetField[];
  purpose: string;
  caseId: string;
  consentRequired: boolean;
  legalBasis: string;
  requestedAt: string;
  decidedAt: string | null;
  completedAt: string | null;
  /** The exchange's ledger entry, once completed. */
  ledgerEntryId: number | null;
  /** Its index in the log, once the sequencer has numbered it. */
  ledgerIndex: number | null;
}

export interface ExchangeResult {
  exchange: ExchangeView;
  /** The fields fetched, once the exchange is completed; null when the provider holds no record. */
  data?: FetchResult;
  replayed: boolean;
}
