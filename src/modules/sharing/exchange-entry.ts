import { createHash } from 'node:crypto';
import { canonicalJson } from '../../verify/document.ts';
import type { LedgerEntryInput } from '../ledger/index.ts';

/** The ledger entry kind of a data exchange on the sharing platform. */
const EXCHANGE_ENTRY_KIND = 'exchange';

export interface ExchangeEntryInput {
  exchangeId: string;
  datasetCode: string;
  providerOrgCode: string;
  consumerOrgCode: string;
  grantId: string;
  caseId: string;
  purpose: string;
  fields: readonly string[];
  /** The resident the data is about: only its salted digest reaches the leaf. */
  subjectId: string;
  /** 'given' after the resident's consent, 'waived' under a law-based grant. */
  consent: 'given' | 'waived';
  /** Hex SHA-256 of the response, salted (see `saltedDigest`). */
  responseDigest: string;
  salt: string;
  at: Date;
}

/** Hex SHA-256 of salt ‖ 0x00 ‖ value: without the exchange's salt, a digest cannot be matched to a guessed value. */
export function saltedDigest(salt: string, value: string): string {
  return createHash('sha256').update(salt, 'utf8').update(Buffer.of(0)).update(value, 'utf8').digest('hex');
}

/**
 * The leaf of an exchange: identifiers, codes and digests only. The leaf is public forever, so
 * the subject appears as a salted digest (the salt stays with the exchange record, for the
 * resident and auditors), and the response as a salted digest — never a name or ID number.
 */
export function exchangeEntry(input: ExchangeEntryInput): LedgerEntryInput {
  const leaf = canonicalJson({
    kind: EXCHANGE_ENTRY_KIND,
    id: input.exchangeId,
    dataset: input.datasetCode,
    provider: input.providerOrgCode,
    consumer: input.consumerOrgCode,
    grant: input.grantId,
    case: input.caseId,
    purpose: input.purpose,
    fields: [...input.fields].sort(),
    subject: saltedDigest(input.salt, input.subjectId),
    consent: input.consent,
    response: input.responseDigest,
    at: input.at.toISOString(),
  });
  return { kind: EXCHANGE_ENTRY_KIND, data: new TextEncoder().encode(leaf) };
}
