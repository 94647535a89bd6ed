import { randomBytes, randomInt } from 'node:crypto';
import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { divisionCreditCode } from '../orgs/index.ts';
import { formatIdentifier } from '../../verify/identifier.ts';
import type { Disclosure, SignedPayload } from '../../verify/document.ts';
import * as repo from './certificates.repository.ts';
import type { StatusListTarget } from './status-lists.ts';
import { canonicalPayload, fieldDigestFast, issuanceLeafFast } from './digests.ts';
import type { CertificatesContext } from './context.ts';
import type { SealSigner } from './ports.ts';
import { fieldValues, type IssueInput } from './issue-input.ts';

/** Certificate types, and issuing the certificate of an approved case (many at once: issue-many.ts). */
export function createIssueFunctions(ctx: CertificatesContext) {
  const { deps, db, clock, lists } = ctx;

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
          payload: { certificateId: inserted.id, identifier, type: type.code, caseId: input.caseId, holderId: input.applicantId },
        });
        return inserted;
      });
      if (row) return row;
    }
    throw new AppError('CONFLICT', { detail: message('certificates.statusListFull') });
  }

  return {
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
      const values = await fieldValues(deps.labels, type.fields, input, holder, residentId, issuer.name);
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
  };
}
