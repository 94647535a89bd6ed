import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import type { DatasetRow } from './datasets.repository.ts';
import type { DatasetField, ProviderConfig, sharingExchanges } from './sharing.tables.ts';

/**
 * Everything an exchange request checks, in one round trip: the dataset, the newest live grant
 * of the consumer on it that covers the purpose and every field (same order as `liveGrants`),
 * whether the consumer used the request key before, and the internal record of the subject.
 */
const EXCHANGE_CONTEXT: PreparedStatement = {
  name: 'sharing_exchange_context',
  text: `select d.code, d.provider_org_code, d.name_zh, d.name_en, d.fields, d.provider,
  g.id as grant_id, g.consent_required, g.legal_basis as grant_legal_basis,
  exists (select 1 from sharing_exchanges e where e.consumer_org_code = $2 and e.request_key = $3) as replay,
  r.data as record
from sharing_datasets d
left join lateral (
  select g.id, g.consent_required, g.legal_basis from sharing_grants g
  where g.consumer_org_code = $2 and g.dataset_code = d.code and g.revoked_at is null and g.status = 'active'
    and g.valid_until > $4::timestamptz and g.purpose = $5 and g.fields @> $6::text[]
  order by g.created_at desc, g.id desc limit 1
) g on true
left join sharing_records r on r.dataset_code = d.code and r.subject_key = $7
where d.code = $1`,
};

export interface ExchangeContext {
  dataset: Pick<DatasetRow, 'code' | 'providerOrgCode' | 'nameZh' | 'nameEn' | 'fields' | 'provider'>;
  grant: { id: string; consentRequired: boolean; legalBasis: string } | null;
  /** The consumer used this request key before. */
  replay: boolean;
  /** The subject's record in the internal dataset; null when there is none (or no subject key was given). */
  record: Record<string, string> | null;
}

/** Undefined when the dataset does not exist. */
export async function exchangeContext(
  db: Executor,
  input: {
    datasetCode: string;
    consumerOrgCode: string;
    requestKey: string;
    at: Date;
    purpose: string;
    fields: readonly string[];
    subjectKey: string | null;
  },
): Promise<ExchangeContext | undefined> {
  const [row] = await queryPrepared<{
    code: string;
    provider_org_code: string;
    name_zh: string;
    name_en: string;
    fields: DatasetField[];
    provider: ProviderConfig;
    grant_id: string | null;
    consent_required: boolean | null;
    grant_legal_basis: string | null;
    replay: boolean;
    record: Record<string, string> | null;
  }>(db, EXCHANGE_CONTEXT, [
    input.datasetCode,
    input.consumerOrgCode,
    input.requestKey,
    input.at.toISOString(),
    input.purpose,
    input.fields,
    input.subjectKey,
  ]);
  if (!row) return undefined;
  return {
    dataset: {
      code: row.code,
      providerOrgCode: row.provider_org_code,
      nameZh: row.name_zh,
      nameEn: row.name_en,
      fields: row.fields,
      provider: row.provider,
    },
    grant:
      row.grant_id === null
        ? null
        : { id: row.grant_id, consentRequired: row.consent_required === true, legalBasis: row.grant_legal_basis ?? '' },
    replay: row.replay,
    record: row.record,
  };
}

const EXCHANGE_COLUMNS = `id, request_key, request_hash, consumer_org_code, requested_by, dataset_code, provider_org_code,
  grant_id, subject_id, case_id, purpose, fields, consent_required, status, salt, response_digest, created_at, completed_at, ledger_entry_id`;
const EXCHANGE_VALUES = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14, $15, $16, $17::timestamptz, $18::timestamptz`;

const INSERT_EXCHANGE: PreparedStatement = {
  name: 'sharing_insert_exchange',
  text: `insert into sharing_exchanges (${EXCHANGE_COLUMNS}) values (${EXCHANGE_VALUES}, null) on conflict do nothing returning id`,
};

/** The completed exchange's insert, naming its ledger entry by `entryId` (the ledger's `appendWithInsert`). */
export function completedExchangeInsert(entryId: string): PreparedStatement {
  return {
    name: 'sharing_insert_completed_exchange',
    text: `insert into sharing_exchanges (${EXCHANGE_COLUMNS}) values (${EXCHANGE_VALUES}, ${entryId})
on conflict do nothing returning ledger_entry_id as entry_id`,
  };
}

export type NewExchange = Omit<typeof sharingExchanges.$inferInsert, 'id' | 'createdAt' | 'ledgerEntryId'> & {
  id: string;
  createdAt: Date;
};

/** The parameters of INSERT_EXCHANGE and `completedExchangeInsert`. */
export function exchangeValues(row: NewExchange): unknown[] {
  return [
    row.id,
    row.requestKey,
    row.requestHash,
    row.consumerOrgCode,
    row.requestedBy,
    row.datasetCode,
    row.providerOrgCode,
    row.grantId,
    row.subjectId,
    row.caseId,
    row.purpose,
    row.fields,
    row.consentRequired,
    row.status,
    row.salt,
    row.responseDigest ?? null,
    row.createdAt.toISOString(),
    row.completedAt ? row.completedAt.toISOString() : null,
  ];
}

/** `insertExchange` as a prepared statement, for the request path: true when inserted, false when the request key was used. */
export async function insertExchangeRow(db: Executor, row: NewExchange): Promise<boolean> {
  return (await queryPrepared<{ id: string }>(db, INSERT_EXCHANGE, exchangeValues(row))).length > 0;
}
