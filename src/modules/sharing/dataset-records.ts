import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, max } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Db } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { can } from '../identity/index.ts';
import type { Principal } from '../identity/index.ts';
import { parseResidentId, RESIDENT_ID_PROBLEM_TEXT } from '../identity/index.ts';
import { saltedDigest } from './exchange-entry.ts';
import type { SharingLedger, SharingOrgDirectory } from './sharing.service.ts';
import { sharingDatasets, sharingRecords, type ProviderConfig } from './sharing.tables.ts';

/** The ledger entry kind of a change to an internal dataset's record. */
export const RECORD_ENTRY_KIND = 'dataset_record';

export interface DatasetRecordsDeps {
  db: Db;
  orgs: SharingOrgDirectory;
  ledger: SharingLedger;
  /** The dataset key of a person: the sharing service's keyed hash of the ID number. */
  subjectKeyOf(residentId: string): string;
  clock?: () => Date;
}

export interface RecordsSummary {
  datasetCode: string;
  adapter: ProviderConfig['kind'];
  records: number;
  lastUpdatedAt: string | null;
}

export type DatasetRecordsService = ReturnType<typeof createDatasetRecordsService>;

/**
 * The records of an internal dataset, kept by the provider department from the console: how many
 * there are, and one person's record written or replaced by ID number. Records are never listed
 * or shown here (each use of them is an exchange); every write is a ledger leaf with digests only,
 * committed with the write.
 */
export function createDatasetRecordsService(deps: DatasetRecordsDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** The dataset if the caller keeps it; a dataset of another department does not exist for them. */
  async function requireKept(principal: Principal, code: string) {
    if (principal.kind !== 'staff' || principal.actingFor) throw notFound('dataset');
    const [dataset] = await db.select().from(sharingDatasets).where(eq(sharingDatasets.code, code));
    const provider = dataset ? await deps.orgs.getOrg(dataset.providerOrgCode) : null;
    if (!dataset || !provider || !can(principal, 'dataset.keep', { orgPath: provider.path })) throw notFound('dataset');
    return dataset;
  }

  return {
    async summary(principal: Principal, code: string): Promise<RecordsSummary> {
      const dataset = await requireKept(principal, code);
      const [row] = await db
        .select({ n: count(), last: max(sharingRecords.updatedAt) })
        .from(sharingRecords)
        .where(eq(sharingRecords.datasetCode, dataset.code));
      return {
        datasetCode: dataset.code,
        adapter: dataset.provider.kind,
        records: row?.n ?? 0,
        lastUpdatedAt: row?.last ? new Date(row.last).toISOString() : null,
      };
    },

    /** Writes (or replaces) one person's record: known fields only, non-empty values, internal datasets only. */
    async putRecord(
      principal: Principal,
      code: string,
      input: { residentId: string; data: Record<string, string> },
    ): Promise<{ replaced: boolean; ledgerEntryId: number }> {
      const dataset = await requireKept(principal, code);
      if (dataset.provider.kind === 'licences') {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('sharing.records.licences'),
        });
      }
      if (dataset.provider.kind !== 'internal') {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('sharing.records.external'),
        });
      }
      const parsed = parseResidentId(input.residentId);
      if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: RESIDENT_ID_PROBLEM_TEXT[parsed.problem] });
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.data)) if (v.trim() !== '') data[k] = v.trim();
      const unknown = Object.keys(data).filter((k) => !dataset.fields.some((f) => f.name === k));
      if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', { dataset: dataset.code, fields: unknown.join(', ') });
      if (Object.keys(data).length === 0) throw new AppError('VALIDATION_FAILED', { detail: message('sharing.records.noField') });
      const subjectKey = deps.subjectKeyOf(parsed.value.id);
      const at = clock();
      return db.transaction(async (tx) => {
        const [before] = await tx
          .select({ key: sharingRecords.subjectKey })
          .from(sharingRecords)
          .where(and(eq(sharingRecords.datasetCode, dataset.code), eq(sharingRecords.subjectKey, subjectKey)))
          .for('update');
        await tx
          .insert(sharingRecords)
          .values({ datasetCode: dataset.code, subjectKey, data, updatedAt: at })
          .onConflictDoUpdate({ target: [sharingRecords.datasetCode, sharingRecords.subjectKey], set: { data, updatedAt: at } });
        // The audit row: who changed which dataset's record, when; the person and the values only as salted digests.
        const salt = randomBytes(16).toString('hex');
        const leaf = canonicalJson({
          kind: RECORD_ENTRY_KIND,
          dataset: dataset.code,
          provider: dataset.providerOrgCode,
          by: createHash('sha256').update(principal.accountId).digest('hex'),
          subject: saltedDigest(salt, subjectKey),
          record: saltedDigest(salt, canonicalJson(data)),
          fields: Object.keys(data).sort(),
          replaced: before !== undefined,
          at: at.toISOString(),
        });
        const { id } = await deps.ledger.appendInTx(tx, { kind: RECORD_ENTRY_KIND, data: new TextEncoder().encode(leaf) });
        return { replaced: before !== undefined, ledgerEntryId: id };
      });
    },
  };
}
