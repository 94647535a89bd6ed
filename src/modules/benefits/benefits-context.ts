import type { Db, Executor } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { EventsService } from '../events/index.ts';
import type { IdentityService, Principal } from '../identity/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { RulesService } from '../rules/index.ts';

/** A notice in the resident's inbox (and by SMS), written in the transaction of what it announces. */
export interface BenefitNotice {
  accountId: string;
  /** Unique per account: a retried transaction never makes a second message. */
  key: string;
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  link?: string;
  data?: Record<string, unknown>;
  sms?: boolean;
}

export interface NoticePort {
  notifyInTx(tx: Executor, notice: BenefitNotice): Promise<unknown>;
}

/** A payment instruction to the paying bank; the same instruction id is one payment, however often sent. */
export interface BenefitPaymentInstruction {
  instructionId: string;
  payerOrgCode: string;
  payeeResidentId: string;
  payeeName: string;
  amountFen: number;
  purpose: string;
  reference: string;
}

export interface PaymentPort {
  sendPayment(principal: Principal, instruction: BenefitPaymentInstruction): Promise<{ bankReference: string }>;
  /** Many at once: each one's receipt or error, in input order. */
  sendPayments(principal: Principal, instructions: readonly BenefitPaymentInstruction[]): Promise<({ bankReference: string } | Error)[]>;
}

export interface BenefitsDeps {
  db: Db;
  rules: Pick<RulesService, 'inForce' | 'sweep' | 'basisOf'>;
  /** `byCode`: orgs through the per-process cache (a department never moves). */
  orgs: Pick<OrgsService, 'byCode'>;
  residents: Pick<IdentityService, 'revealResidentId' | 'revealHolders' | 'getResidentSummary'>;
  applications: Pick<ApplicationsService, 'submit' | 'decideMany' | 'getCase'>;
  ledger: Pick<LedgerService, 'appendInTx' | 'appendManyInTx'>;
  events: Pick<EventsService, 'enqueue'>;
  /** The resident inbox; absent, residents are not told (tests of the engine alone). */
  notices?: NoticePort | null;
  payments: PaymentPort;
  /** The keyed digest of a resident ID number that datasets key their records by (the sharing module's). */
  subjectKeyOf(residentId: string): string;
  clock?: () => Date;
}

export type BenefitsContext = ReturnType<typeof createBenefitsContext>;

export function createBenefitsContext(deps: BenefitsDeps) {
  return { db: deps.db, deps, clock: deps.clock ?? (() => new Date()) };
}
