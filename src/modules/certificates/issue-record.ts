/**
 * Certificates of records that are no case: a medical insurance settlement's statement (结算单), a
 * month's clearing between two funds (清算单). The module that keeps the record gives the values;
 * the certificate is sealed, numbered, put on a status list and on the ledger exactly as a case's
 * (batch-issue.ts does the work). `key` stands in for the case id: a uuid derived from the record,
 * so that the same record gets one certificate whatever the retries (the unique case id).
 */
import { notFound } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { divisionCreditCode } from '../orgs/index.ts';
import { prepareBatchIssue, type BatchItem, type IssuedCertificate } from './batch-issue.ts';
import { findByCases } from './batch-issue.repository.ts';
import { findType } from './certificates.repository.ts';
import type { CertificatesContext } from './context.ts';

export interface RecordIssueInput {
  /** The record's uuid (derived from its own id): one certificate per key. */
  key: string;
  /** The certificate type's code (certificate-types.seed.ts). */
  type: string;
  /** The issuing org. */
  orgCode: string;
  /** The holder's account, or a uuid derived from the record's person when they have none (no one lists it as theirs). */
  holderId: string;
  holder: { name: string; residentIdMasked: string };
  /** Every field of the type, in its order. */
  values: { name: string; value: string }[];
  /** Who issues: a system actor's id. */
  actorId: string;
}

export function createRecordIssueFunctions(ctx: CertificatesContext) {
  const { deps, db, clock, lists } = ctx;
  return {
    /**
     * Reads, numbers and signs before the caller's transaction; the step it returns inserts the
     * certificates (with their ledger leaves and outbox events) in that transaction, or returns
     * the one a key has already. The caller checks access: no principal here.
     */
    async prepareRecordIssue(
      inputs: readonly RecordIssueInput[],
    ): Promise<(tx: Executor, only?: ReadonlySet<string>) => Promise<Map<string, IssuedCertificate>>> {
      const items: BatchItem[] = [];
      // Read once per type and issuer (a month's clearing seals one statement per pair, all by a few offices).
      const types = new Map<string, Promise<Awaited<ReturnType<typeof findType>>>>();
      const issuers = new Map<string, Promise<{ issuer: BatchItem['issuer']; seal: BatchItem['seal'] }>>();
      const issuerOf = async (orgCode: string) => {
        const org = await deps.orgs.getOrg(orgCode);
        if (!org) throw notFound('org');
        const creditCode = org.level === 'department' ? org.code : divisionCreditCode(org.divisionCode);
        const seal = await deps.seals.ensureSealKey({ code: org.code, name: org.name, creditCode });
        return { issuer: { code: org.code, name: org.name, path: org.path, creditCode }, seal };
      };
      for (const input of inputs) {
        if (!types.has(input.type)) types.set(input.type, findType(db, input.type));
        if (!issuers.has(input.orgCode)) issuers.set(input.orgCode, issuerOf(input.orgCode));
        const type = await types.get(input.type);
        if (!type) throw new Error(`certificate type ${input.type} is not loaded`);
        const { issuer, seal } = await issuers.get(input.orgCode)!;
        const names = new Set(input.values.map((v) => v.name));
        const missing = type.fields.filter((f) => !names.has(f.name)).map((f) => f.name);
        if (missing.length > 0) throw new Error(`${input.type}: no value for ${missing.join(', ')}`);
        items.push({
          caseId: input.key,
          applicantId: input.holderId,
          reviewerId: input.actorId,
          type,
          issuer,
          holder: input.holder,
          seal,
          values: input.values,
        });
      }
      const existing = new Map(
        (
          await findByCases(
            db,
            items.map((i) => i.caseId),
          )
        ).map((r) => [r.caseId, r]),
      );
      const fresh = items.filter((i) => !existing.has(i.caseId));
      const batch =
        fresh.length > 0
          ? await prepareBatchIssue(
              db,
              {
                ledger: deps.ledger,
                events: deps.events,
                vault: deps.vault,
                statusList: await lists.forIssue(db, fresh.length),
                statusLists: lists,
              },
              fresh,
              clock(),
            )
          : null;
      return async (tx, only) => {
        const issued = new Map<string, IssuedCertificate>(existing);
        const keys = fresh.map((i) => i.caseId).filter((key) => !only || only.has(key));
        if (batch && keys.length > 0) for (const [key, row] of await batch.issue(tx, keys)) issued.set(key, row);
        return issued;
      };
    },
  };
}
