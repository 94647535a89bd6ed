import type { Db } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { CertificatesService } from '../certificates/index.ts';
import type { EventsService } from '../events/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { InsuranceFederationPort } from './cross-province.ts';

export interface InsuranceDeps {
  db: Db;
  ledger: Pick<LedgerService, 'appendInTx' | 'appendWithInsert' | 'appendWithStatement'>;
  events: Pick<EventsService, 'enqueue' | 'enqueueSql'>;
  orgs: Pick<OrgsService, 'byCode'>;
  residents: Pick<IdentityService, 'revealResidentId' | 'findResidentByResidentId' | 'residentPhone'>;
  /** Approved filing cases are read when they are decided; the hospital window submits a filing for the patient. */
  applications: Pick<ApplicationsService, 'getCase' | 'submit'>;
  /** Seals the settlement and clearing statements (结算单, 清算单), revokes a cancelled settlement's. */
  certificates: Pick<CertificatesService, 'prepareRecordIssue' | 'pdf' | 'get' | 'changeStatus'>;
  /** The keyed digest of a resident ID number (the sharing module's): persons are found by it, never by the number. */
  subjectKeyOf(residentId: string): string;
  /** The platform's SM2 key that signs the hospital interface's answers (a seal key of the platform, chained to its root). */
  interfaceSigner(): Promise<{
    keyId: string;
    sign(message: Uint8Array): Uint8Array;
    publicKeySpki: Uint8Array;
    certificatePem: string;
    chainPem: string;
  }>;
  /** The federation: a person insured in another province is settled by that province's node (cross-province.ts). */
  federation?: InsuranceFederationPort;
  clock?: () => Date;
  /** How long reference data (policies, catalogue, institutions) is cached per process; default 30 s. */
  referenceTtlMs?: number;
}

export type InsuranceContext = ReturnType<typeof createInsuranceContext>;

export function createInsuranceContext(deps: InsuranceDeps) {
  return { db: deps.db, deps, clock: deps.clock ?? (() => new Date()) };
}

/** The date in China (UTC+8), YYYY-MM-DD: the day a settlement counts on. */
export function chinaDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
