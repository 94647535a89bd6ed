import type { Executor } from '../../db/database.ts';
import * as repo from './sharing.repository.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import { externalAdapter, type ExternalAdapterDeps } from './external-adapter.ts';

export { EXTERNAL_DEFAULTS, externalAdapter, type ExternalAdapterDeps, type ExternalProviderConfig } from './external-adapter.ts';

export interface FetchRequest {
  datasetCode: string;
  /** Keyed HMAC of the person's resident ID number (the internal adapter's record key). */
  subjectKey: string;
  /** The person's resident ID number: a department's own system keys its records by it. Never logged. */
  residentId: string;
  /** The person's account id (the exchange's subject): the e-licence library finds their certificates by it. */
  subjectId: string;
  /** Stable for one exchange request, across retries: the department answers a retry from its cache. */
  requestId: string;
  purpose: string;
  /** The provider department's name, for messages. */
  providerName: string;
  fields: readonly string[];
  /** The internal record, when the caller read it already (with the request's other checks): the internal adapter does not read it again. */
  record?: Record<string, string> | null;
}

/** The requested fields of the person's record, or null when the provider holds none. */
export type FetchResult = Record<string, string> | null;

/** Reads a dataset's fields for one person from wherever the provider keeps them. */
export interface ProviderAdapter {
  fetch(db: Executor, request: FetchRequest): Promise<FetchResult>;
}

/** The department's dataset kept in the platform: a read of sharing_records. */
export const internalAdapter: ProviderAdapter = {
  async fetch(db, request) {
    const record = request.record !== undefined ? request.record : await repo.findRecord(db, request.datasetCode, request.subjectKey);
    if (!record) return null;
    const out: Record<string, string> = {};
    for (const field of request.fields) if (record[field] !== undefined) out[field] = record[field];
    return out;
  },
};

/** A certificate as the e-licence library gives it: the certificates module's `findLicence`. */
export interface LicenceEvidence {
  identifier: string;
  issuedAt: string;
  issuerName: string;
  fields: Record<string, string>;
}

/** The certificates issued on the platform, by holder and type (the certificates service). */
export interface LicenceLibrary {
  /** The holder's newest active, unexpired certificate of the type; null when there is none. */
  findLicence(holderId: string, certificateType: string): Promise<LicenceEvidence | null>;
}

export type LicencesProviderConfig = Extract<ProviderConfig, { kind: 'licences' }>;

/** What every e-licence dataset offers besides the type's fields: enough to cite and verify the certificate. */
export const LICENCE_CITATION_FIELDS = ['identifier', 'issuedAt', 'issuerName'] as const;

/** The full ID number is disclosed only to the certificate's holder, whatever a dataset lists. */
const NEVER_SHARED: ReadonlySet<string> = new Set(['residentId']);

/**
 * The e-licence library (免证明): a person's record is their newest certificate of the type that
 * is active and unexpired now — its disclosed field values, identifier, issue time and issuer.
 * A revoked, suspended or expired certificate is no evidence: no record. Read through the
 * certificates service, outside the exchange's transaction like every adapter.
 */
export function licencesAdapter(config: LicencesProviderConfig, library: LicenceLibrary): ProviderAdapter {
  return {
    async fetch(_db, request) {
      const licence = await library.findLicence(request.subjectId, config.certificateType);
      if (!licence) return null;
      const values: Record<string, string> = {
        ...licence.fields,
        identifier: licence.identifier,
        issuedAt: licence.issuedAt,
        issuerName: licence.issuerName,
      };
      const out: Record<string, string> = {};
      for (const field of request.fields) if (values[field] !== undefined && !NEVER_SHARED.has(field)) out[field] = values[field];
      return out;
    },
  };
}

/** The adapter a dataset's provider config names. */
export function adapterFor(config: ProviderConfig, deps: { external: ExternalAdapterDeps; licences: LicenceLibrary }): ProviderAdapter {
  switch (config.kind) {
    case 'internal':
      return internalAdapter;
    case 'external':
      return externalAdapter(config, deps.external);
    case 'licences':
      return licencesAdapter(config, deps.licences);
    default: {
      const unknown: never = config;
      throw new Error(`unknown provider adapter ${JSON.stringify(unknown)}`);
    }
  }
}
