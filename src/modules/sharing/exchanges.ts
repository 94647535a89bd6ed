import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Executor, Tx } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { actsForAnOrg, can } from '../identity/index.ts';
import type { Principal } from '../identity/index.ts';
import { exchangeEntry, saltedDigest } from './exchange-entry.ts';
import type { FetchResult } from './provider-adapters.ts';
import * as repo from './sharing.repository.ts';
import { checkFields, checkPurpose, isLive, REQUEST_KEY, type SharingContext } from './sharing-context.ts';
import { exchangeView as viewOf } from './exchange-views.ts';
import { EXCHANGE_COMPLETED_TOPIC, type ExchangeRequestInput, type ExchangeResult, type ExchangeView } from './sharing-types.ts';

interface Subject {
  key: string;
  residentId: string;
  accountId: string;
}

/** A consumer's exchanges: the request (through a grant, or waiting for consent), its replay, and reading one. */
export function createExchangeFunctions(ctx: SharingContext) {
  const { db, orgs, clock, deps, subjectKeyOf, adapterOf, cachedOrgName, requireDataset } = ctx;
  const exchangeView = (row: repo.ExchangeRow) => viewOf(ctx, row);

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

  /** The outbox event of a completed exchange, in its transaction (no person in it: orgs, dataset, case). */
  function announce(
    tx: Executor,
    row: Pick<repo.ExchangeRow, 'id' | 'consumerOrgCode' | 'providerOrgCode' | 'datasetCode' | 'caseId'>,
    at: Date,
  ) {
    return deps.events.enqueue(tx, {
      topic: EXCHANGE_COMPLETED_TOPIC,
      payload: {
        exchangeId: row.id,
        consumerOrgCode: row.consumerOrgCode,
        providerOrgCode: row.providerOrgCode,
        datasetCode: row.datasetCode,
        caseId: row.caseId,
        completedAt: at.toISOString(),
      },
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
    await announce(tx, updated, at);
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

  return {
    /**
     * A consumer asks for fields about the applicant of one of its cases, for a purpose. Without
     * an unexpired grant covering the fields and the purpose nothing is written; with a grant that
     * needs consent, a pending request waits for the resident; otherwise the fields are read and
     * the exchange and its ledger leaf commit together. The same request key gives the same exchange.
     */
    async requestExchange(principal: Principal, input: ExchangeRequestInput): Promise<ExchangeResult> {
      if (!actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
      if (!REQUEST_KEY.test(input.requestKey)) throw new AppError('IDEMPOTENCY_KEY_INVALID');
      const kase = await deps.cases.getCaseRef(principal, input.caseId);
      if (!can(principal, 'exchange.request', { orgPath: kase.orgPath })) throw new AppError('FORBIDDEN');
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
        // The exchange row is written completed, with its leaf, in one statement, and its event beside it: all or nothing.
        const responseDigest = saltedDigest(row.salt, canonicalJson(data));
        const at = clock();
        const entry = exchangeEntry({ ...row, exchangeId: row.id, consent: 'waived', responseDigest, at });
        const queued = await db.transaction(async (tx) => {
          const written = await deps.ledger.appendWithInsert(
            tx,
            entry,
            repo.completedExchangeInsert,
            repo.exchangeValues({ ...row, status: 'completed', responseDigest, completedAt: at }),
          );
          if (written) await announce(tx, row, at);
          return written;
        });
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
        if (!actsForAnOrg(principal) || !consumer || !can(principal, 'exchange.request', { orgPath: consumer.path }))
          throw notFound('exchange');
      }
      return exchangeView(row);
    },
  };
}
