import type { LedgerEntryInput } from '../ledger/index.ts';
import { canonicalJson } from '../../verify/document.ts';
import { saltedDigest } from './exchange-entry.ts';

/** The ledger entry kind of a payment instruction the paying bank accepted. */
const PAYMENT_ENTRY_KIND = 'payment.instruction';

export interface PaymentEntryInput {
  instructionId: string;
  payerOrgCode: string;
  purpose: string;
  /** The payee's keyed subject digest (subjectKeyOf): it reaches the leaf only inside the salted digest. */
  payeeKey: string;
  amountFen: number;
  reference: string;
  salt: string;
  bankReference: string;
  at: Date;
}

/**
 * The leaf of an accepted payment: who paid, for which benefit, the bank's reference, and one
 * salted digest of payee, amount and reference — never a name, ID number or amount in clear
 * (the salt stays with the payment row, for the payer and auditors).
 */
export function paymentEntry(input: PaymentEntryInput): LedgerEntryInput {
  const leaf = canonicalJson({
    kind: PAYMENT_ENTRY_KIND,
    id: input.instructionId,
    payer: input.payerOrgCode,
    purpose: input.purpose,
    instruction: saltedDigest(input.salt, canonicalJson({ payee: input.payeeKey, amountFen: input.amountFen, reference: input.reference })),
    bank: input.bankReference,
    at: input.at.toISOString(),
  });
  return { kind: PAYMENT_ENTRY_KIND, data: new TextEncoder().encode(leaf) };
}
