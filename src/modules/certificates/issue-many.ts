import { AppError, notFound } from '../../core/errors.ts';
import { divisionCreditCode } from '../orgs/index.ts';
import { prepareBatchIssue, type BatchItem, type PreparedBatch } from './batch-issue.ts';
import { findTypeByService, type CertificateTypeRow } from './certificates.repository.ts';
import type { CertificatesContext } from './context.ts';
import { fieldValues, type IssueInput } from './issue-input.ts';
import type { SealSigner } from './ports.ts';

/** The certificates of a batch approval, prepared before its transaction. */
export interface PreparedIssues {
  /** Signed and ready: the step issues them in the decision's transaction. Null when none is. */
  batch: PreparedBatch | null;
  /** Cases whose service issues no certificate. */
  none: ReadonlySet<string>;
  /** Cases that cannot be issued for (holder or issuer missing), and why. */
  failed: ReadonlyMap<string, AppError>;
}

/** Parallel reads before a batch's transaction; PGlite runs them one by one anyway. */
const PREPARE_CONCURRENCY = 8;

/** Issuing the certificates of many approved cases at once (a reviewer's batch approval). */
export function createIssueManyFunctions(ctx: CertificatesContext) {
  const { deps, db, clock, lists } = ctx;
  return {
    /**
     * `prepareIssue` for many cases at once: the type, issuer and seal are read once per
     * service and org, the payloads signed before the transaction; the batch's step writes
     * certificates, outbox events and ledger leaves with one statement each.
     */
    async prepareIssueMany(inputs: readonly IssueInput[]): Promise<PreparedIssues> {
      const types = new Map<string, Promise<CertificateTypeRow | undefined>>();
      const issuers = new Map<string, Promise<{ issuer: BatchItem['issuer']; seal: SealSigner }>>();
      const typeOf = (serviceCode: string) => {
        let t = types.get(serviceCode);
        if (!t) types.set(serviceCode, (t = findTypeByService(db, serviceCode)));
        return t;
      };
      const issuerOf = (orgCode: string) => {
        let i = issuers.get(orgCode);
        if (!i) {
          i = (async () => {
            const org = await deps.orgs.getOrg(orgCode);
            if (!org) throw notFound('org');
            const creditCode = org.level === 'department' ? org.code : divisionCreditCode(org.divisionCode);
            const seal = await deps.seals.ensureSealKey({ code: org.code, name: org.name, creditCode });
            return { issuer: { code: org.code, name: org.name, path: org.path, creditCode }, seal };
          })();
          issuers.set(orgCode, i);
        }
        return i;
      };
      const none = new Set<string>();
      const failed = new Map<string, AppError>();
      const items: BatchItem[] = [];
      const holders = await deps.holders.revealHolders([...new Set(inputs.map((i) => i.applicantId))]);
      const prepareOne = async (input: IssueInput) => {
        const type = await typeOf(input.serviceCode);
        if (!type) {
          none.add(input.caseId);
          return;
        }
        try {
          const { issuer, seal } = await issuerOf(input.orgCode);
          const holder = holders.get(input.applicantId);
          if (!holder) throw notFound('resident');
          const { residentId } = holder;
          const values = await fieldValues(deps.labels, type.fields, input, holder, residentId, issuer.name);
          items.push({
            caseId: input.caseId,
            applicantId: input.applicantId,
            reviewerId: input.reviewerId,
            type,
            issuer,
            holder: { name: holder.name, residentIdMasked: holder.residentIdMasked },
            seal,
            values,
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          failed.set(input.caseId, error);
        }
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(PREPARE_CONCURRENCY, inputs.length) }, async () => {
          while (next < inputs.length) await prepareOne(inputs[next++]!);
        }),
      );
      const batch =
        items.length > 0
          ? await prepareBatchIssue(
              db,
              {
                ledger: deps.ledger,
                events: deps.events,
                vault: deps.vault,
                statusList: await lists.forIssue(db, items.length),
                statusLists: lists,
              },
              items,
              clock(),
            )
          : null;
      return { batch, none, failed };
    },
  };
}
