import type { Db, Executor } from '../../db/database.ts';
import type { EventsService } from '../events/index.ts';
import type { SignatureAlgorithm } from '../../verify/document.ts';
import type { StatusEvidence } from '../../verify/verification-result.ts';
import type { PdfKey } from './pdf/cms.ts';
import type { DisclosureVault } from './disclosure-vault.ts';
import type { StatusListOptions } from './status-lists.ts';
import type { StatusCredentialOptions, StatusKey } from './status-credentials.ts';

/** A seal that signs: the org's key, chosen per key as SM2 or Ed25519. */
export interface SealSigner {
  keyId: string;
  algorithm: SignatureAlgorithm;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface SealKeyProvider {
  ensureSealKey(org: { code: string; name: string; creditCode: string }): Promise<SealSigner>;
}

/** Queues leaves in the caller's transaction; the ledger's sequencer numbers them later. */
export interface LedgerAppender {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
  appendManyInTx(tx: Executor, entries: readonly { id?: number; kind: string; data: Uint8Array }[]): Promise<{ ids: number[] }>;
  /** Entry ids drawn before the entries are queued, for rows inserted first that name them. */
  newEntryIds(tx: Executor, count: number): Promise<number[]>;
}

export interface IssuerDirectory {
  getOrg(code: string): Promise<{ code: string; name: string; level: string; path: string; divisionCode: string } | null>;
}

export interface HolderDirectory {
  getResidentSummary(id: string): Promise<{ accountId: string; name: string; residentIdMasked: string } | null>;
  revealResidentId(id: string): Promise<string | null>;
  /** Both of the above for many holders in one query (batch issuance). */
  revealHolders(ids: readonly string[]): Promise<Map<string, { name: string; residentIdMasked: string; residentId: string }>>;
}

/** Published key material: seal certificates and the pinned roots. */
export interface PublicKeys {
  getPublicKey(keyId: string): Promise<{ certificatePem: string; chainPem: string } | null>;
  getTrustAnchors(): Promise<{ certificatePem: string }[]>;
}

/** The platform's status list key: the signer, and the published certificates of its current and retired keys. */
export interface StatusKeys {
  signer(): Promise<StatusKey>;
  published(): Promise<{ keyId: string; certificatePem: string; chainPem: string }[]>;
}

/** Ledger evidence for bundles. */
export interface LedgerProofs {
  latestCheckpoint(): Promise<{ size: number; note: string }>;
  inclusionProof(index: number, size?: number): Promise<{ hashes: Uint8Array[] }>;
  /** The indexes of the sequenced entries among `ids`. */
  indexesOf(ids: readonly number[]): Promise<Map<number, number>>;
  vkey(): Promise<string>;
}

/** What a form field's select value reads as on a certificate. */
export interface FormLabels {
  labelFor(serviceCode: string, field: string, value: string): Promise<string>;
}

export interface CertificatesDeps {
  db: Db;
  seals: SealKeyProvider;
  ledger: LedgerAppender;
  events: EventsService;
  orgs: IssuerDirectory;
  holders: HolderDirectory;
  labels: FormLabels;
  keys: PublicKeys;
  proofs: LedgerProofs;
  /** The platform's PDF signing key (ECDSA P-256, a chain PDF tools understand). */
  pdfKey: () => Promise<PdfKey>;
  /** Public base URL of this deployment, for status list links. */
  publicUrl: string;
  /** Seals disclosures at rest: created from the master key (disclosure-vault.ts). */
  vault: DisclosureVault;
  /** Size and rollover fill of new status lists (defaults: 131,072 entries, 50 %). */
  statusLists?: StatusListOptions;
  /** Signs the status list credentials. */
  statusKeys: StatusKeys;
  /** Validity and re-signing of the served status lists (defaults: valid 6 h, re-signed hourly and on change). */
  statusCredentials?: StatusCredentialOptions;
  clock?: () => Date;
  /**
   * Anchors of other deployments this one trusts too: a federation's national trust list, already
   * verified (federation module); null or absent when there is none.
   */
  foreignTrust?: () => Promise<ForeignTrust | null>;
  /**
   * Another member's certificate's status, from its issuer's signed lists (federation module,
   * fetched and cached); null or absent when the list it names is no member's.
   */
  foreignStatus?: (payload: string) => Promise<ForeignStatus | null>;
}

/** The status evidence of a certificate another member issued, and that member's log key (null: none published). */
export interface ForeignStatus {
  status: StatusEvidence;
  ledgerVkey: string | null;
}

/** The parts of a national trust list a verifier adds to its own anchors. */
export interface ForeignTrust {
  roots: string[];
  intermediates: string[];
  statusSigners: Record<string, { certificate: string; chain?: string }>;
}
