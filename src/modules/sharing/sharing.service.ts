import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { isUuid } from '../../core/values.ts';
import type { Db, Executor, Tx } from '../../db/database.ts';
import type { PreparedStatement } from '../../db/prepared.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { StaffRole } from '../identity/identity.tables.ts';
import { hasRoleFor, type Principal } from '../identity/principal.ts';
import { exchangeEntry, saltedDigest } from '../ledger/exchange-entry.ts';
import { derivedSharingKey, publicKeyPem, type SigningKey } from './http-signatures.ts';
import { adapterFor, type ExternalAdapterDeps, type FetchResult, type LicenceLibrary, type ProviderAdapter } from './provider-adapters.ts';
import * as repo from './sharing.repository.ts';
import type { DatasetField, ExchangeStatus, GrantStatus, ProviderConfig } from './sharing.tables.ts';
import { citeLegalBasis, findLegalBasis, LEGAL_BASES, type LegalBasis } from './legal-bases.ts';

/** Queues leaves in the caller's transaction; the ledger's sequencer numbers them soon after. */
export interface SharingLedger {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
  /** Queues a leaf in the same statement as an insert that names it; null (and no leaf) when the insert wrote nothing. */
  appendWithInsert(
    db: Executor,
    entry: { kind: string; data: Uint8Array },
    insert: (entryId: string) => PreparedStatement,
    values: readonly unknown[],
  ): Promise<{ id: number } | null>;
  /** The indexes of the sequenced entries among `ids`. */
  indexesOf(ids: readonly number[]): Promise<Map<number, number>>;
}

export interface SharingOrgDirectory {
  getOrg(code: string): Promise<{ code: string; name: string; path: string } | null>;
}

/** The case an exchange is for, as the caller may see it (applications' getCaseRef: a 404 otherwise). */
export interface SharingCaseDirectory {
  getCaseRef(principal: Principal, caseId: string): Promise<{ id: string; orgCode: string; orgPath: string; applicantId: string }>;
}

export interface SharingResidentDirectory {
  revealResidentId(residentAccountId: string): Promise<string | null>;
}

export interface DataSharingDeps {
  db: Db;
  masterKey: Buffer;
  ledger: SharingLedger;
  orgs: SharingOrgDirectory;
  cases: SharingCaseDirectory;
  residents: SharingResidentDirectory;
  /** The e-licence library: the certificates issued on the platform (the certificates service). */
  licences: LicenceLibrary;
  /**
   * The external adapter: the platform's sharing key (default: derived from the master key) and
   * the retry timing. Each dataset's provider config names the department, its key and attempts.
   */
  external?: Omit<ExternalAdapterDeps, 'key' | 'clock'> & { key?: SigningKey };
  clock?: () => Date;
}

export interface DatasetDef {
  code: string;
  providerOrgCode: string;
  nameZh: string;
  nameEn: string;
  fields: DatasetField[];
  legalBasis: string;
  provider: ProviderConfig;
}

export interface DatasetView extends Omit<DatasetDef, 'provider' | 'providerOrgCode'> {
  provider: { code: string; name: string };
  adapter: ProviderConfig['kind'];
}

export interface CreateGrantInput {
  datasetCode: string;
  consumerOrgCode: string;
  fields: string[];
  purpose: string;
  legalBasis: string;
  /** Required when consentRequired is false: the code of the cited entry of the legal-basis catalogue. */
  legalBasisCode?: string | undefined;
  consentRequired: boolean;
  validUntil: Date;
}

export interface GrantView {
  id: string;
  datasetCode: string;
  provider: { code: string; name: string };
  consumer: { code: string; name: string };
  fields: string[];
  purpose: string;
  legalBasis: string;
  consentRequired: boolean;
  status: GrantStatus;
  /** The cited catalogue entry of a waived-consent grant. */
  legalBasisRef: LegalBasis | null;
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  validUntil: string;
  revokedAt: string | null;
  createdAt: string;
}

export interface ExchangeRequestInput {
  /** The consumer's idempotency key. */
  requestKey: string;
  datasetCode: string;
  fields: string[];
  purpose: string;
  caseId: string;
}

/** An exchange as its consumer or its resident sees it: who, what, why — never the data itself. */
export interface ExchangeView {
  id: string;
  status: ExchangeStatus;
  dataset: { code: string; nameZh: string; nameEn: string };
  provider: { code: string; name: string };
  consumer: { code: string; name: string };
  fields: DatasetField[];
  purpose: string;
  caseId: string;
  consentRequired: boolean;
  legalBasis: string;
  requestedAt: string;
  decidedAt: string | null;
  completedAt: string | null;
  /** The exchange's ledger entry, once completed. */
  ledgerEntryId: number | null;
  /** Its index in the log, once the sequencer has numbered it. */
  ledgerIndex: number | null;
}

export interface ExchangeResult {
  exchange: ExchangeView;
  /** The fields fetched, once the exchange is completed; null when the provider holds no record. */
  data?: FetchResult;
  replayed: boolean;
}

/** Who may manage a provider's grants, and who may request data for their org's cases. */
const GRANT_ROLES: readonly StaffRole[] = ['department_officer', 'county_admin', 'city_admin', 'platform_admin'];
/** Who approves a waived-consent grant: a supervisor over the provider department, never its author. */
const APPROVER_ROLES: readonly StaffRole[] = ['supervisor'];
const GRANT_ENTRY_KIND = 'grant';
const CONSUMER_ROLES: readonly StaffRole[] = [
  'department_officer',
  'village_reviewer',
  'township_admin',
  'county_admin',
  'city_admin',
  'platform_admin',
];
const REQUEST_KEY = /^[A-Za-z0-9_-]{8,128}$/;
const PURPOSE = /^[a-z][a-z0-9_.-]{1,63}$/;
const SUBJECT_KEY_INFO = 'yiban/sharing/subject-key-hmac-sha256/v1';
const MAX_PAGE = 200;
/** How long an org's display name is reused on the exchange path (names change only when divisions are reloaded). */
const ORG_NAME_TTL_MS = 60_000;

export type DataSharingService = ReturnType<typeof createDataSharingService>;

/** A person's key in every internal dataset: a keyed hash of the ID number, never the number. */
export function subjectKeyFunction(masterKey: Buffer): (residentId: string) => string {
  const subjectHmacKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('yiban'), SUBJECT_KEY_INFO, 32));
  return (residentId) => createHmac('sha256', subjectHmacKey).update(residentId.toUpperCase(), 'utf8').digest('hex');
}

export function createDataSharingService(deps: DataSharingDeps) {
  const { db, orgs } = deps;
  const clock = deps.clock ?? (() => new Date());
  const subjectKeyOf = subjectKeyFunction(deps.masterKey);
  const sharingKey = deps.external?.key ?? derivedSharingKey(deps.masterKey);
  const externalDeps: ExternalAdapterDeps = { ...deps.external, key: sharingKey, clock };
  const adapters = new Map<string, ProviderAdapter>();

  function adapterOf(config: ProviderConfig): ProviderAdapter {
    const k = JSON.stringify(config);
    let adapter = adapters.get(k);
    if (!adapter) {
      adapter = adapterFor(config, { external: externalDeps, licences: deps.licences });
      adapters.set(k, adapter);
    }
    return adapter;
  }

  const orgNameCache = new Map<string, { name: string; until: number }>();

  /** An org's display name, reused for a minute: the exchange path shows names, it decides nothing by them. */
  async function cachedOrgName(code: string): Promise<string> {
    const now = Date.now();
    const hit = orgNameCache.get(code);
    if (hit && hit.until > now) return hit.name;
    const name = (await orgs.getOrg(code))?.name ?? code;
    orgNameCache.set(code, { name, until: now + ORG_NAME_TTL_MS });
    return name;
  }

  async function orgNames(codes: Iterable<string>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const code of new Set(codes)) names.set(code, (await orgs.getOrg(code))?.name ?? code);
    return names;
  }

  async function requireDataset(code: string): Promise<repo.DatasetRow> {
    const dataset = await repo.findDataset(db, code);
    if (!dataset) throw notFound('dataset');
    return dataset;
  }

  function checkFields(dataset: Pick<repo.DatasetRow, 'code' | 'fields'>, fields: readonly string[]): string[] {
    const unique = [...new Set(fields)].sort();
    if (unique.length === 0)
      throw new AppError('VALIDATION_FAILED', { detail: { zh: '请至少选择一个字段', en: 'name at least one field' } });
    const unknown = unique.filter((f) => !dataset.fields.some((d) => d.name === f));
    if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', { dataset: dataset.code, fields: unknown.join(', ') });
    return unique;
  }

  function checkPurpose(purpose: string): void {
    if (!PURPOSE.test(purpose)) {
      throw new AppError('VALIDATION_FAILED', { detail: { zh: '用途代码格式不正确', en: 'the purpose code has the wrong format' } });
    }
  }

  function isLive(grant: repo.GrantRow, at: Date): boolean {
    return grant.status === 'active' && grant.revokedAt === null && grant.validUntil.getTime() > at.getTime();
  }

  function grantView(row: repo.GrantRow, names: Map<string, string>): GrantView {
    return {
      id: row.id,
      datasetCode: row.datasetCode,
      provider: { code: row.providerOrgCode, name: names.get(row.providerOrgCode) ?? row.providerOrgCode },
      consumer: { code: row.consumerOrgCode, name: names.get(row.consumerOrgCode) ?? row.consumerOrgCode },
      fields: row.fields,
      purpose: row.purpose,
      legalBasis: row.legalBasis,
      consentRequired: row.consentRequired,
      status: row.status,
      legalBasisRef: (row.legalBasisCode && findLegalBasis(row.legalBasisCode)) || null,
      requestedBy: row.createdBy,
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      decisionNote: row.decisionNote,
      validUntil: row.validUntil.toISOString(),
      revokedAt: row.revokedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /**
   * The ledger leaf of a grant's request or decision: codes and ids only (no personal data), so
   * anyone can later see who asked to waive consent, on which basis, and who approved it.
   */
  async function appendGrantEntry(
    tx: Tx,
    row: repo.GrantRow,
    event: 'requested' | 'approved' | 'refused',
    by: string,
    at: Date,
  ): Promise<void> {
    const leaf = canonicalJson({
      kind: GRANT_ENTRY_KIND,
      id: row.id,
      event,
      dataset: row.datasetCode,
      provider: row.providerOrgCode,
      consumer: row.consumerOrgCode,
      fields: [...row.fields].sort(),
      purpose: row.purpose,
      consent: row.consentRequired ? 'required' : 'waived',
      legalBasis: row.legalBasisCode,
      by,
      at: at.toISOString(),
    });
    await deps.ledger.appendInTx(tx, { kind: GRANT_ENTRY_KIND, data: new TextEncoder().encode(leaf) });
  }

  /**
   * A pending grant the caller may decide: a supervisor over its provider who did not request it.
   * Read before the transaction (the org lookup uses its own connection; PGlite has only one).
   */
  async function decidableGrant(principal: Principal, id: string): Promise<repo.GrantRow> {
    if (principal.kind !== 'staff' || principal.actingFor || !isUuid(id)) throw notFound('grant');
    const grant = await repo.findGrant(db, id);
    const provider = grant ? await orgs.getOrg(grant.providerOrgCode) : null;
    if (!grant || !provider) throw notFound('grant');
    if (!hasRoleFor(principal, APPROVER_ROLES, provider.path)) {
      // The provider's own staff may see the grant, so for them it exists; they just cannot decide it.
      if (hasRoleFor(principal, GRANT_ROLES, provider.path)) throw new AppError('FORBIDDEN');
      throw notFound('grant');
    }
    if (grant.createdBy === principal.accountId) throw new AppError('SELF_APPROVAL');
    if (grant.status !== 'pending_approval') throw new AppError('GRANT_NOT_PENDING', { status: grant.status });
    return grant;
  }

  async function decideGrant(principal: Principal, id: string, status: 'active' | 'refused', note: string | null): Promise<GrantView> {
    const grant = await decidableGrant(principal, id);
    const row = await db.transaction(async (tx) => {
      const at = clock();
      const decided = await repo.decideGrant(tx, grant.id, { status, decidedBy: principal.accountId, decidedAt: at, decisionNote: note });
      if (!decided) throw new AppError('GRANT_NOT_PENDING', { status: grant.status });
      await appendGrantEntry(tx, decided, status === 'active' ? 'approved' : 'refused', principal.accountId, at);
      return decided;
    });
    return grantView(row, await orgNames([row.providerOrgCode, row.consumerOrgCode]));
  }

  async function exchangeViews(rows: repo.ExchangeRow[]): Promise<ExchangeView[]> {
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

  async function exchangeView(row: repo.ExchangeRow): Promise<ExchangeView> {
    return (await exchangeViews([row]))[0]!;
  }

  interface Subject {
    key: string;
    residentId: string;
    accountId: string;
  }

  async function subjectFor(subjectId: string): Promise<Subject> {
    const residentId = await deps.residents.revealResidentId(subjectId);
    if (!residentId) throw notFound('resident');
    return { key: subjectKeyOf(residentId), residentId, accountId: subjectId };
  }

  /**
   * Reads the fields through the provider's adapter, outside any transaction: an external
   * department may take seconds (retries), and no row lock or connection waits for it. The
   * request id is the same for every retry of one consumer request, so the department answers
   * a retry from its cache and logs the request once.
   */
  async function fetchFor(
    dataset: Pick<repo.DatasetRow, 'code' | 'providerOrgCode' | 'provider'>,
    ex: { consumerOrgCode: string; requestKey: string; requestHash: string; purpose: string; fields: readonly string[] },
    subject: Subject,
    record?: Record<string, string> | null,
  ): Promise<FetchResult> {
    const requestId = createHash('sha256')
      .update(`${ex.consumerOrgCode}\n${ex.requestKey}\n${ex.requestHash}`)
      .digest('base64url')
      .slice(0, 32);
    const providerName = dataset.provider.kind !== 'external' ? dataset.providerOrgCode : await cachedOrgName(dataset.providerOrgCode);
    return adapterOf(dataset.provider).fetch(db, {
      datasetCode: dataset.code,
      subjectKey: subject.key,
      residentId: subject.residentId,
      subjectId: subject.accountId,
      requestId,
      purpose: ex.purpose,
      providerName,
      fields: ex.fields,
      ...(record !== undefined && dataset.provider.kind === 'internal' ? { record } : {}),
    });
  }

  /** Completes the exchange with the fetched fields: the status, the response digest and the ledger leaf commit together, in the caller's transaction. */
  async function complete(tx: Tx, row: repo.ExchangeRow, data: FetchResult): Promise<{ row: repo.ExchangeRow; data: FetchResult }> {
    const responseDigest = saltedDigest(row.salt, canonicalJson(data));
    const at = clock();
    const { id: ledgerEntryId } = await deps.ledger.appendInTx(
      tx,
      exchangeEntry({
        exchangeId: row.id,
        datasetCode: row.datasetCode,
        providerOrgCode: row.providerOrgCode,
        consumerOrgCode: row.consumerOrgCode,
        grantId: row.grantId,
        caseId: row.caseId,
        purpose: row.purpose,
        fields: row.fields,
        subjectId: row.subjectId,
        consent: row.consentRequired ? 'given' : 'waived',
        responseDigest,
        salt: row.salt,
        at,
      }),
    );
    const updated = await repo.updateExchange(tx, row.id, { status: 'completed', responseDigest, completedAt: at, ledgerEntryId });
    return { row: updated, data };
  }

  /** A retry of a known request key: the same exchange, moved on if the resident has consented since. */
  async function replay(existing: repo.ExchangeRow, requestHash: string): Promise<ExchangeResult> {
    if (existing.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    if (existing.status === 'pending_consent' || existing.status === 'declined') {
      return { exchange: await exchangeView(existing), replayed: true };
    }
    const [dataset, grant] = await Promise.all([requireDataset(existing.datasetCode), repo.findGrant(db, existing.grantId)]);
    if (!grant || !isLive(grant, clock())) throw new AppError('GRANT_REQUIRED');
    const data = await fetchFor(dataset, existing, await subjectFor(existing.subjectId));
    const outcome = await db.transaction(async (tx) => {
      const current = await repo.findExchange(tx, existing.id, true);
      if (!current) throw notFound('exchange');
      if (current.status === 'approved') return complete(tx, current, data);
      // Completed before (or by a concurrent retry): the same fields again, without a second exchange or leaf.
      return { row: current, data };
    });
    return { exchange: await exchangeView(outcome.row), data: outcome.data, replayed: true };
  }

  function requireResident(principal: Principal): string {
    // Consent is personal: a helper acting under a delegation cannot give it.
    if (principal.kind !== 'resident' || principal.actingFor) throw new AppError('FORBIDDEN');
    return principal.accountId;
  }

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

    /** The data catalogue: what each department offers (never the records). Any signed-in caller. */
    async listDatasets(principal: Principal, query: { providerOrgCode?: string | undefined } = {}): Promise<DatasetView[]> {
      void principal;
      const rows = await repo.listDatasets(db, query.providerOrgCode);
      const names = await orgNames(rows.map((r) => r.providerOrgCode));
      return rows.map((r) => ({
        code: r.code,
        nameZh: r.nameZh,
        nameEn: r.nameEn,
        fields: r.fields,
        legalBasis: r.legalBasis,
        provider: { code: r.providerOrgCode, name: names.get(r.providerOrgCode) ?? r.providerOrgCode },
        adapter: r.provider.kind,
      }));
    },

    /** A provider department's officer or administrator grants a consumer org standing access. */
    async createGrant(principal: Principal, input: CreateGrantInput): Promise<GrantView> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const dataset = await requireDataset(input.datasetCode);
      const provider = await orgs.getOrg(dataset.providerOrgCode);
      if (!provider || !hasRoleFor(principal, GRANT_ROLES, provider.path)) throw new AppError('FORBIDDEN');
      const fields = checkFields(dataset, input.fields);
      checkPurpose(input.purpose);
      const consumer = await orgs.getOrg(input.consumerOrgCode);
      if (!consumer) throw notFound('org');
      const now = clock();
      if (!(input.validUntil.getTime() > now.getTime())) {
        throw new AppError('VALIDATION_FAILED', { detail: { zh: '有效期须晚于当前时间', en: 'validUntil must be in the future' } });
      }
      const legalBasis = input.legalBasis.trim();
      if (!legalBasis) throw new AppError('VALIDATION_FAILED', { detail: { zh: '请填写法律依据', en: 'a legal basis is required' } });
      // Waiving the resident's consent needs a basis from the catalogue and a second person's approval.
      const basis = input.legalBasisCode === undefined ? undefined : findLegalBasis(input.legalBasisCode);
      if (input.legalBasisCode !== undefined && !basis) throw new AppError('UNKNOWN_LEGAL_BASIS', { code: input.legalBasisCode });
      if (!input.consentRequired && !basis) throw new AppError('LEGAL_BASIS_REQUIRED');
      const row = await db.transaction(async (tx) => {
        const inserted = await repo.insertGrant(tx, {
          datasetCode: dataset.code,
          providerOrgCode: dataset.providerOrgCode,
          consumerOrgCode: consumer.code,
          fields,
          purpose: input.purpose,
          legalBasis: basis ? `${citeLegalBasis(basis)}。${legalBasis}` : legalBasis,
          legalBasisCode: basis?.code ?? null,
          consentRequired: input.consentRequired,
          status: input.consentRequired ? 'active' : 'pending_approval',
          validUntil: input.validUntil,
          createdBy: principal.accountId,
          createdAt: now,
        });
        if (!input.consentRequired) await appendGrantEntry(tx, inserted, 'requested', principal.accountId, now);
        return inserted;
      });
      return grantView(
        row,
        new Map([
          [provider.code, provider.name],
          [consumer.code, consumer.name],
        ]),
      );
    },

    /** 法定依据目录: the bases a waived-consent grant may cite. */
    legalBases(): readonly LegalBasis[] {
      return LEGAL_BASES;
    },

    /** A supervisor over the provider (not the grant's author) lets a waived-consent grant take effect. */
    approveGrant(principal: Principal, id: string): Promise<GrantView> {
      return decideGrant(principal, id, 'active', null);
    },

    /** …or refuses it, with the reason. */
    async refuseGrant(principal: Principal, id: string, reason: string): Promise<GrantView> {
      const note = reason.trim();
      if (!note) throw new AppError('VALIDATION_FAILED', { detail: { zh: '请填写不予批准的理由', en: 'a reason is required' } });
      return decideGrant(principal, id, 'refused', note);
    },

    /** The grants waiting for the caller's approval: pending, under their supervision, requested by someone else. */
    async listPendingGrants(principal: Principal): Promise<GrantView[]> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const rows: repo.GrantRow[] = [];
      for (const row of await repo.pendingGrants(db)) {
        const provider = await orgs.getOrg(row.providerOrgCode);
        const mine =
          provider && (hasRoleFor(principal, APPROVER_ROLES, provider.path) || hasRoleFor(principal, GRANT_ROLES, provider.path));
        if (mine) rows.push(row);
      }
      const names = await orgNames(rows.flatMap((r) => [r.providerOrgCode, r.consumerOrgCode]));
      return rows.map((r) => grantView(r, names));
    },

    async revokeGrant(principal: Principal, id: string): Promise<GrantView> {
      if (principal.kind !== 'staff' || principal.actingFor || !isUuid(id)) throw notFound('grant');
      const grant = await repo.findGrant(db, id);
      const provider = grant ? await orgs.getOrg(grant.providerOrgCode) : null;
      if (!grant || !provider || !hasRoleFor(principal, GRANT_ROLES, provider.path)) throw notFound('grant');
      const row = (await repo.revokeGrant(db, id, clock())) ?? grant;
      return grantView(row, await orgNames([row.providerOrgCode, row.consumerOrgCode]));
    },

    /** The grants an org gave or received, for its own staff. */
    async listGrants(principal: Principal, orgCode: string): Promise<GrantView[]> {
      const org = await orgs.getOrg(orgCode);
      if (
        principal.kind !== 'staff' ||
        principal.actingFor ||
        !org ||
        !hasRoleFor(principal, [...GRANT_ROLES, ...CONSUMER_ROLES, ...APPROVER_ROLES], org.path)
      ) {
        throw new AppError('FORBIDDEN');
      }
      const rows = await repo.listGrantsOf(db, org.code);
      const names = await orgNames(rows.flatMap((r) => [r.providerOrgCode, r.consumerOrgCode]));
      return rows.map((r) => grantView(r, names));
    },

    /**
     * A consumer asks for fields about the applicant of one of its cases, for a purpose. Without
     * an unexpired grant covering the fields and the purpose nothing is written; with a grant that
     * needs consent, a pending request waits for the resident; otherwise the fields are read and
     * the exchange and its ledger leaf commit together. The same request key gives the same exchange.
     */
    async requestExchange(principal: Principal, input: ExchangeRequestInput): Promise<ExchangeResult> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      if (!REQUEST_KEY.test(input.requestKey)) throw new AppError('IDEMPOTENCY_KEY_INVALID');
      const kase = await deps.cases.getCaseRef(principal, input.caseId);
      if (!hasRoleFor(principal, CONSUMER_ROLES, kase.orgPath)) throw new AppError('FORBIDDEN');
      const consumerOrgCode = kase.orgCode;
      // The subject's key first, so that one query reads the dataset, the grant, the request key and the record.
      const residentId = await deps.residents.revealResidentId(kase.applicantId);
      const subject: Subject | null = residentId ? { key: subjectKeyOf(residentId), residentId, accountId: kase.applicantId } : null;
      const now = clock();
      const context = await repo.exchangeContext(db, {
        datasetCode: input.datasetCode,
        consumerOrgCode,
        requestKey: input.requestKey,
        at: now,
        purpose: input.purpose,
        fields: [...new Set(input.fields)].sort(),
        subjectKey: subject?.key ?? null,
      });
      if (!context) throw notFound('dataset');
      const { dataset, grant } = context;
      const fields = checkFields(dataset, input.fields);
      checkPurpose(input.purpose);
      const requestHash = createHash('sha256')
        .update(canonicalJson({ dataset: dataset.code, fields, purpose: input.purpose, case: kase.id }))
        .digest('hex');

      if (context.replay) {
        const existing = await repo.findExchangeByKey(db, consumerOrgCode, input.requestKey);
        if (existing) return replay(existing, requestHash);
      }
      if (!grant) throw new AppError('GRANT_REQUIRED');
      // Under a law-based grant the fields are read first, outside the transaction; a department
      // that stays down fails the request before anything is written.
      let data: FetchResult | undefined;
      if (!grant.consentRequired) {
        if (!subject) throw notFound('resident');
        data = await fetchFor(
          dataset,
          { consumerOrgCode, requestKey: input.requestKey, requestHash, purpose: input.purpose, fields },
          subject,
          context.record,
        );
      }

      const row = {
        id: randomUUID(),
        requestKey: input.requestKey,
        requestHash,
        consumerOrgCode,
        requestedBy: principal.accountId,
        datasetCode: dataset.code,
        providerOrgCode: dataset.providerOrgCode,
        grantId: grant.id,
        subjectId: kase.applicantId,
        caseId: kase.id,
        purpose: input.purpose,
        fields,
        consentRequired: grant.consentRequired,
        salt: randomBytes(16).toString('hex'),
        createdAt: now,
      };
      let completed: { at: Date; ledgerEntryId: number } | null = null;
      let inserted: boolean;
      if (data === undefined) {
        // The consent path's pending request: one statement, nothing else to write.
        inserted = await repo.insertExchangeRow(db, { ...row, status: 'pending_consent' });
      } else {
        // The exchange row is written completed, with its leaf, in one statement: both or neither.
        const responseDigest = saltedDigest(row.salt, canonicalJson(data));
        const at = clock();
        const entry = exchangeEntry({ ...row, exchangeId: row.id, consent: 'waived', responseDigest, at });
        const queued = await deps.ledger.appendWithInsert(
          db,
          entry,
          repo.completedExchangeInsert,
          repo.exchangeValues({ ...row, status: 'completed', responseDigest, completedAt: at }),
        );
        if (queued) completed = { at, ledgerEntryId: queued.id };
        inserted = queued !== null;
      }
      if (!inserted) {
        // A concurrent request with the same key won the insert.
        const winner = await repo.findExchangeByKey(db, consumerOrgCode, input.requestKey);
        if (!winner) throw new AppError('DATABASE_BUSY');
        return replay(winner, requestHash);
      }
      const [providerName, consumerName] = await Promise.all([cachedOrgName(dataset.providerOrgCode), cachedOrgName(consumerOrgCode)]);
      const exchange: ExchangeView = {
        id: row.id,
        status: completed ? 'completed' : 'pending_consent',
        dataset: { code: dataset.code, nameZh: dataset.nameZh, nameEn: dataset.nameEn },
        provider: { code: dataset.providerOrgCode, name: providerName },
        consumer: { code: consumerOrgCode, name: consumerName },
        fields: fields.map(
          (name) => dataset.fields.find((f) => f.name === name) ?? { name, labelZh: name, labelEn: name, sensitivity: 'high' as const },
        ),
        purpose: row.purpose,
        caseId: row.caseId,
        consentRequired: row.consentRequired,
        legalBasis: grant.legalBasis,
        requestedAt: now.toISOString(),
        decidedAt: null,
        completedAt: completed ? completed.at.toISOString() : null,
        ledgerEntryId: completed ? completed.ledgerEntryId : null,
        // Queued in this request's transaction: the sequencer numbers it after the commit.
        ledgerIndex: null,
      };
      return { exchange, ...(data !== undefined ? { data } : {}), replayed: false };
    },

    /** One exchange, for its consumer's staff or the resident it is about. */
    async getExchange(principal: Principal, id: string): Promise<ExchangeView> {
      if (!isUuid(id)) throw notFound('exchange');
      const row = await repo.findExchange(db, id);
      if (!row) throw notFound('exchange');
      if (principal.kind === 'resident' && !principal.actingFor) {
        if (row.subjectId !== principal.accountId) throw notFound('exchange');
      } else {
        const consumer = await orgs.getOrg(row.consumerOrgCode);
        if (principal.actingFor || !consumer || !hasRoleFor(principal, CONSUMER_ROLES, consumer.path)) throw notFound('exchange');
      }
      return exchangeView(row);
    },

    /** "Who used my data" (谁用了我的数据): every exchange about the resident, newest first, pending ones included. */
    async listMyExchanges(
      principal: Principal,
      page: { after?: string | undefined; limit?: number | undefined } = {},
    ): Promise<{ items: ExchangeView[]; next: string | null }> {
      const subjectId = requireResident(principal);
      const limit = Math.min(page.limit ?? 50, MAX_PAGE);
      let before: { createdAt: Date; id: string } | undefined;
      if (page.after) {
        const [at, id] = decodeCursor(page.after, 2);
        if (typeof at !== 'number' || typeof id !== 'string')
          throw new AppError('VALIDATION_FAILED', { detail: { zh: '分页游标无效', en: 'invalid page cursor' } });
        before = { createdAt: new Date(at), id };
      }
      const rows = await repo.listExchangesAbout(db, { subjectId, limit: limit + 1, ...(before ? { before } : {}) });
      const items = await exchangeViews(rows.slice(0, limit));
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return { items, next: last ? encodeCursor([last.createdAt.getTime(), last.id]) : null };
    },

    /** The requests waiting for the resident's consent: exactly which fields, who asks, why. */
    async listMyConsents(principal: Principal): Promise<ExchangeView[]> {
      const subjectId = requireResident(principal);
      return exchangeViews(await repo.listExchangesAbout(db, { subjectId, statuses: ['pending_consent'], limit: MAX_PAGE }));
    },

    /** The resident approves or declines a pending request. Nothing is fetched here: the consumer collects after approval. */
    async decideConsent(principal: Principal, id: string, decision: 'approve' | 'decline'): Promise<ExchangeView> {
      const subjectId = requireResident(principal);
      if (!isUuid(id)) throw notFound('exchange');
      const row = await db.transaction(async (tx) => {
        const current = await repo.findExchange(tx, id, true);
        if (!current || current.subjectId !== subjectId) throw notFound('exchange');
        if (current.status !== 'pending_consent') {
          throw new AppError('EXCHANGE_NOT_PENDING', {
            action: decision === 'approve' ? { zh: '同意', en: 'approved' } : { zh: '拒绝', en: 'declined' },
          });
        }
        return repo.updateExchange(tx, id, { status: decision === 'approve' ? 'approved' : 'declined', decidedAt: clock() });
      });
      return exchangeView(row);
    },
  };
}
