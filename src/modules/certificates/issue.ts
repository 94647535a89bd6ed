import { randomBytes, randomInt } from 'node:crypto';
import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { divisionCreditCode } from '../orgs/index.ts';
import { formatIdentifier } from '../../verify/identifier.ts';
import type { Disclosure, SignedPayload } from '../../verify/document.ts';
import * as repo from './certificates.repository.ts';
import type { CertificateField } from './certificates.tables.ts';
import { prepareBatchIssue, type BatchItem, type PreparedBatch } from './batch-issue.ts';
import type { StatusListTarget } from './status-lists.ts';
import { canonicalPayload, fieldDigestFast, issuanceLeafFast } from './digests.ts';
import type { CertificatesContext } from './context.ts';
import type { SealSigner } from './ports.ts';

export interface IssueInput {
  caseId: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  form: Record<string, string>;
  reviewerId: string;
}

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

/** Certificate types, and issuing the certificates of approved cases. */
export function createIssueFunctions(ctx: CertificatesContext) {
  const { deps, db, clock, lists } = ctx;

  async function fieldValue(
    field: CertificateField,
    input: IssueInput,
    holder: { name: string; residentIdMasked: string },
    residentId: string,
    issuerName: string,
  ): Promise<string> {
    switch (field.source) {
      case 'holder.name':
        return holder.name;
      case 'holder.residentIdMasked':
        return holder.residentIdMasked;
      case 'holder.residentId':
        return residentId;
      case 'issuer.name':
        return issuerName;
      case 'form': {
        const raw = input.form[field.formField ?? field.name] ?? '';
        return raw ? deps.labels.labelFor(input.serviceCode, field.formField ?? field.name, raw) : '';
      }
    }
  }

  async function issueInTx(
    tx: Executor,
    p: {
      input: IssueInput;
      type: repo.CertificateTypeRow;
      issuer: { code: string; name: string; path: string; creditCode: string };
      holder: { name: string; residentIdMasked: string };
      seal: SealSigner;
      values: { name: string; value: string }[];
      statusList: StatusListTarget;
    },
  ): Promise<repo.CertificateRow> {
    const { input, type, issuer, holder, seal, statusList } = p;
    const existing = await repo.findByCase(tx, input.caseId);
    if (existing) return existing;
    const disclosures: Disclosure[] = p.values.map((v) => ({ ...v, salt: randomBytes(16).toString('hex') }));
    const issuedAt = clock();
    const validUntil = type.validityDays ? new Date(issuedAt.getTime() + type.validityDays * 86_400_000) : null;
    const serial = await repo.nextSerial(tx);
    const identifier = formatIdentifier({
      typeCode: type.typeCode,
      issuerCode: issuer.creditCode,
      serial: String(serial).padStart(10, '0'),
      version: '001',
    });
    for (let attempt = 0; attempt < 20; attempt++) {
      const statusIndex = randomInt(statusList.size);
      const payload: SignedPayload = {
        v: 1,
        id: identifier,
        type: type.code,
        typeName: { zh: type.nameZh, en: type.nameEn },
        issuer: { code: issuer.code, name: issuer.name, creditCode: issuer.creditCode },
        holder,
        issuedAt: issuedAt.toISOString(),
        validUntil: validUntil?.toISOString() ?? null,
        status: { list: statusList.url, index: statusIndex },
        keyId: seal.keyId,
        alg: seal.algorithm,
        fields: disclosures.map(fieldDigestFast).sort(),
      };
      const payloadText = canonicalPayload(payload);
      const signature = Buffer.from(await seal.sign(new TextEncoder().encode(payloadText))).toString('base64');
      // A savepoint, so that a lost race for the status slot does not abort the whole approval.
      const row = await tx.transaction(async (sp) => {
        const [ledgerEntryId] = await deps.ledger.newEntryIds(sp, 1);
        const inserted = await repo.insertCertificate(sp, {
          serial,
          identifier,
          caseId: input.caseId,
          typeCode: type.code,
          holderId: input.applicantId,
          issuerOrgCode: issuer.code,
          issuerOrgPath: issuer.path,
          reviewerId: input.reviewerId,
          keyId: seal.keyId,
          payload: payloadText,
          signature,
          disclosures: deps.vault.seal(identifier, disclosures),
          statusList: statusList.list,
          statusIndex,
          ledgerEntryId: ledgerEntryId!,
          issuedAt,
          validUntil,
        });
        if (!inserted) return null;
        await deps.ledger.appendManyInTx(sp, [
          { id: ledgerEntryId!, kind: 'certificate.issued', data: new TextEncoder().encode(issuanceLeafFast(payload, payloadText)) },
        ]);
        await lists.countIssued(sp, statusList.list, 1);
        await deps.events.enqueue(sp, {
          topic: 'certificate.issued',
          payload: { certificateId: inserted.id, identifier, caseId: input.caseId, holderId: input.applicantId },
        });
        return inserted;
      });
      if (row) return row;
    }
    throw new AppError('CONFLICT', { detail: message('certificates.statusListFull') });
  }

  return {
    async listTypes() {
      return repo.listTypes(db);
    },

    /**
     * Prepares the certificate of a case being approved: reads the type, the issuer, the holder
     * and the seal before the transaction; the step it returns issues inside the approval's
     * transaction — identifier, canonical payload, seal signature, status slot, ledger leaf and
     * outbox event commit or roll back together. Null when the service issues no certificate.
     */
    async prepareIssue(input: IssueInput): Promise<((tx: Executor) => Promise<repo.CertificateRow>) | null> {
      const type = await repo.findTypeByService(db, input.serviceCode);
      if (!type) return null;
      const issuer = await deps.orgs.getOrg(input.orgCode);
      if (!issuer) throw notFound('org');
      const creditCode = issuer.level === 'department' ? issuer.code : divisionCreditCode(issuer.divisionCode);
      const [holder, residentId] = await Promise.all([
        deps.holders.getResidentSummary(input.applicantId),
        deps.holders.revealResidentId(input.applicantId),
      ]);
      if (!holder || !residentId) throw notFound('resident');
      const seal = await deps.seals.ensureSealKey({ code: issuer.code, name: issuer.name, creditCode });
      const values: { name: string; value: string }[] = [];
      for (const field of type.fields)
        values.push({ name: field.name, value: await fieldValue(field, input, holder, residentId, issuer.name) });
      // Outside the approval's transaction: opening the next list then commits on its own.
      const statusList = await lists.forIssue(db, 1);
      return (tx) =>
        issueInTx(tx, {
          input,
          type,
          issuer: { ...issuer, creditCode },
          holder: { name: holder.name, residentIdMasked: holder.residentIdMasked },
          seal,
          values,
          statusList,
        });
    },

    /**
     * `prepareIssue` for many cases at once: the type, issuer and seal are read once per
     * service and org, the payloads signed before the transaction; the batch's step writes
     * certificates, outbox events and ledger leaves with one statement each.
     */
    async prepareIssueMany(inputs: readonly IssueInput[]): Promise<PreparedIssues> {
      const types = new Map<string, Promise<repo.CertificateTypeRow | undefined>>();
      const issuers = new Map<string, Promise<{ issuer: BatchItem['issuer']; seal: SealSigner }>>();
      const typeOf = (serviceCode: string) => {
        let t = types.get(serviceCode);
        if (!t) types.set(serviceCode, (t = repo.findTypeByService(db, serviceCode)));
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
          const values: { name: string; value: string }[] = [];
          for (const field of type.fields)
            values.push({ name: field.name, value: await fieldValue(field, input, holder, residentId, issuer.name) });
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
