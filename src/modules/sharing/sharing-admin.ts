import { AppError, notFound } from '../../core/errors.ts';
import { derivedSharingKey, publicKeyPem, signingKeyPem } from './http-signature-keys.ts';
import { adapterFor } from './provider-adapters.ts';
import * as repo from './sharing.repository.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import { findLegalBasis } from './legal-bases.ts';
import { checkFields, sm2SharingKeyOf, subjectKeyFunction } from './sharing-context.ts';
import type { CreateGrantInput, DataSharingDeps, DatasetDef } from './sharing-types.ts';

/** What the sharing admin uses: the database and keys, not the ledger, the cases or the residents. */
export type SharingAdminDeps = Pick<DataSharingDeps, 'db' | 'masterKey' | 'licences' | 'external' | 'clock'>;

export type SharingAdmin = ReturnType<typeof createSharingAdmin>;

/**
 * What the seed, the CLI, the demo and tests do: configuration, without a caller's access check
 * and without the ledger entries the service writes. Kept off the data sharing service, so the
 * routes (which get only that service) cannot reach it.
 */
export function createSharingAdmin(deps: SharingAdminDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const subjectKeyOf = subjectKeyFunction(deps.masterKey);
  const sharingKey = deps.external?.key ?? derivedSharingKey(deps.masterKey);
  const sm2Key = sm2SharingKeyOf(deps);

  async function requireDataset(code: string): Promise<repo.DatasetRow> {
    const dataset = await repo.findDataset(db, code);
    if (!dataset) throw notFound('dataset');
    return dataset;
  }

  return {
    /** A person's key in every internal dataset (the dataset records service and the master key rotation use it). */
    subjectKeyOf,

    /**
     * The platform's sharing key as departments configure it: key id and public key (SPKI PEM).
     * `sm2` gives the SM2 key, which signs the requests to departments registered with an SM2 key.
     */
    sharingPublicKey(alg: 'ed25519' | 'sm2' = 'ed25519'): { keyId: string; publicKeyPem: string } {
      if (alg === 'sm2') {
        const key = sm2Key();
        return { keyId: key.keyId, publicKeyPem: signingKeyPem(key) };
      }
      return { keyId: sharingKey.keyId, publicKeyPem: publicKeyPem(sharingKey.privateKey) };
    },

    /** Publishes or updates datasets (seed and console import). */
    async upsertDatasets(defs: readonly DatasetDef[]): Promise<void> {
      for (const def of defs) await repo.upsertDataset(db, { ...def, updatedAt: clock() });
    },

    /**
     * Where a dataset's records come from (CLI, demo, tests) — kept in the platform, or the
     * department's own system at a URL with its pinned key. Grants and exchanges stay as they are.
     */
    async setProvider(datasetCode: string, provider: ProviderConfig): Promise<void> {
      const dataset = await requireDataset(datasetCode);
      // Refuses a key that is not a public key.
      if (provider.kind === 'external')
        adapterFor(provider, { external: { ...deps.external, key: sharingKey, sm2KeyOf: sm2Key, clock }, licences: deps.licences });
      await repo.upsertDataset(db, { ...dataset, provider, updatedAt: clock() });
    },

    /** The internal adapter's records, by resident ID number (seed and console import; no ledger entry). */
    async upsertRecords(datasetCode: string, records: readonly { residentId: string; data: Record<string, string> }[]): Promise<void> {
      const dataset = await requireDataset(datasetCode);
      await db.transaction(async (tx) => {
        for (const record of records) {
          checkFields(dataset, Object.keys(record.data));
          await repo.upsertRecord(tx, { datasetCode, subjectKey: subjectKeyOf(record.residentId), data: record.data });
        }
      });
    },

    /** A grant with no author (seed), unless the same live grant exists already. */
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
