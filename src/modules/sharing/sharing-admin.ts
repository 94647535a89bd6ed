import { AppError } from '../../core/errors.ts';
import { publicKeyPem } from './http-signature-keys.ts';
import { adapterFor } from './provider-adapters.ts';
import * as repo from './sharing.repository.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import { findLegalBasis } from './legal-bases.ts';
import { checkFields, type SharingContext } from './sharing-context.ts';
import type { CreateGrantInput, DatasetDef } from './sharing-types.ts';

/** What the seed, the CLI and the console import do: configuration, without a caller's access check. */
export function createSharingAdminFunctions(ctx: SharingContext) {
  const { db, clock, deps, subjectKeyOf, sharingKey, externalDeps, requireDataset } = ctx;
  return {
    subjectKeyOf,

    /** The platform's sharing key as departments configure it: key id and public key (SPKI PEM). */
    sharingPublicKey(): { keyId: string; publicKeyPem: string } {
      return { keyId: sharingKey.keyId, publicKeyPem: publicKeyPem(sharingKey.privateKey) };
    },

    /** Internal (seed and console import): publishes or updates datasets. */
    async upsertDatasets(defs: readonly DatasetDef[]): Promise<void> {
      for (const def of defs) await repo.upsertDataset(db, { ...def, updatedAt: clock() });
    },

    /**
     * Internal (CLI, demo, tests): where a dataset's records come from — kept in the platform, or
     * the department's own system at a URL with its pinned key. Grants and exchanges stay as they are.
     */
    async setProvider(datasetCode: string, provider: ProviderConfig): Promise<void> {
      const dataset = await requireDataset(datasetCode);
      if (provider.kind === 'external') adapterFor(provider, { external: externalDeps, licences: deps.licences }); // refuses a key that is not a public key
      await repo.upsertDataset(db, { ...dataset, provider, updatedAt: clock() });
    },

    /** Internal (seed and console import): the internal adapter's records, by resident ID number. */
    async upsertRecords(datasetCode: string, records: readonly { residentId: string; data: Record<string, string> }[]): Promise<void> {
      const dataset = await requireDataset(datasetCode);
      await db.transaction(async (tx) => {
        for (const record of records) {
          checkFields(dataset, Object.keys(record.data));
          await repo.upsertRecord(tx, { datasetCode, subjectKey: subjectKeyOf(record.residentId), data: record.data });
        }
      });
    },

    /** Internal (seed): a grant with no author, unless the same live grant exists already. */
    async ensureGrant(input: CreateGrantInput): Promise<void> {
      const dataset = await requireDataset(input.datasetCode);
      const fields = checkFields(dataset, input.fields);
      const live = await repo.liveGrants(db, { consumerOrgCode: input.consumerOrgCode, datasetCode: dataset.code, at: clock() });
      if (
        live.some(
          (g) => g.purpose === input.purpose && g.consentRequired === input.consentRequired && fields.every((f) => g.fields.includes(f)),
        )
      )
        return;
      // The deployment's own configuration, not one officer's act: active at once, but a waiver still cites the catalogue.
      const basis = input.legalBasisCode === undefined ? undefined : findLegalBasis(input.legalBasisCode);
      if (!input.consentRequired && !basis) throw new AppError('LEGAL_BASIS_REQUIRED');
      await repo.insertGrant(db, {
        ...input,
        legalBasisCode: basis?.code ?? null,
        fields,
        providerOrgCode: dataset.providerOrgCode,
        createdBy: null,
        createdAt: clock(),
      });
    },
  };
}
