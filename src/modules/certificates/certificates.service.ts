import { createCertificatesContext } from './context.ts';
import { createIssueFunctions } from './issue.ts';
import { createIssueManyFunctions } from './issue-many.ts';
import { createRecordIssueFunctions } from './issue-record.ts';
import { createRenditionFunctions } from './renditions.ts';
import { createStatusFunctions } from './status.ts';
import type { CertificatesDeps } from './ports.ts';

export { FIRST_STATUS_LIST, STATUS_LIST_SIZE } from './status-lists.ts';
export type {
  CertificatesDeps,
  FormLabels,
  HolderDirectory,
  IssuerDirectory,
  LedgerAppender,
  LedgerProofs,
  PublicKeys,
  SealKeyProvider,
  SealSigner,
  StatusKeys,
} from './ports.ts';
export type { CertificateView, LicenceEvidence } from './context.ts';
export type { IssueInput } from './issue-input.ts';
export type { PreparedIssues } from './issue-many.ts';

/**
 * The certificates service, assembled from its use cases around one shared context
 * (context.ts): issuing (issue.ts, issue-many.ts), what holders and issuers see (renditions.ts), and
 * status lists, verification and status changes (status.ts).
 */
export function createCertificatesService(deps: CertificatesDeps) {
  const ctx = createCertificatesContext(deps);
  const renditions = createRenditionFunctions(ctx);
  return {
    ...createIssueFunctions(ctx),
    ...createIssueManyFunctions(ctx),
    ...createRecordIssueFunctions(ctx),
    ...renditions,
    ...createStatusFunctions(ctx, renditions),
  };
}

export type CertificatesService = ReturnType<typeof createCertificatesService>;
