import type { SharingContext } from './sharing-context.ts';
import * as repo from './sharing.repository.ts';
import type { ExchangeView } from './sharing-types.ts';

/** Exchanges as their consumer or their resident sees them, with names, labels and ledger indexes. */
export async function exchangeViews(ctx: SharingContext, rows: repo.ExchangeRow[]): Promise<ExchangeView[]> {
  const { db, deps, orgNames } = ctx;
  const datasets = new Map((await repo.findDatasets(db, [...new Set(rows.map((r) => r.datasetCode))])).map((d) => [d.code, d]));
  const grants = new Map<string, repo.GrantRow | undefined>();
  for (const id of new Set(rows.map((r) => r.grantId))) grants.set(id, await repo.findGrant(db, id));
  const names = await orgNames(rows.flatMap((r) => [r.providerOrgCode, r.consumerOrgCode]));
  const indexes = await deps.ledger.indexesOf(rows.flatMap((r) => (r.ledgerEntryId === null ? [] : [r.ledgerEntryId])));
  return rows.map((row) => {
    const dataset = datasets.get(row.datasetCode);
    return {
      id: row.id,
      status: row.status,
      dataset: { code: row.datasetCode, nameZh: dataset?.nameZh ?? row.datasetCode, nameEn: dataset?.nameEn ?? row.datasetCode },
      provider: { code: row.providerOrgCode, name: names.get(row.providerOrgCode) ?? row.providerOrgCode },
      consumer: { code: row.consumerOrgCode, name: names.get(row.consumerOrgCode) ?? row.consumerOrgCode },
      fields: row.fields.map(
        (name) => dataset?.fields.find((f) => f.name === name) ?? { name, labelZh: name, labelEn: name, sensitivity: 'high' as const },
      ),
      purpose: row.purpose,
      caseId: row.caseId,
      consentRequired: row.consentRequired,
      legalBasis: grants.get(row.grantId)?.legalBasis ?? '',
      requestedAt: row.createdAt.toISOString(),
      decidedAt: row.decidedAt?.toISOString() ?? null,
      completedAt: row.completedAt?.toISOString() ?? null,
      ledgerEntryId: row.ledgerEntryId,
      ledgerIndex: row.ledgerEntryId === null ? null : (indexes.get(row.ledgerEntryId) ?? null),
    };
  });
}

export async function exchangeView(ctx: SharingContext, row: repo.ExchangeRow): Promise<ExchangeView> {
  return (await exchangeViews(ctx, [row]))[0]!;
}
