/**
 * Issuance for many approved cases in one transaction (a reviewer's batch approval, the
 * issuance benchmark). Everything that does not need the decision's locks happens before the
 * transaction: the reads (PGlite has one connection, which an open transaction holds), the
 * serials, the status slots (all in the list the caller chose, see status-lists.ts) and — the
 * expensive part — the seal signatures. Inside the transaction, one statement each: the
 * ledger head's lock (which fixes the leaves' indexes), the certificates with those indexes (a
 * slot lost to a concurrent issuer is drawn again and re-signed), their outbox events, the
 * ledger leaves and the list's count. Digests and the
 * canonical payload use digests.ts (node:crypto; the same bytes as src/verify).
 */
import { randomBytes } from 'node:crypto';
import { message } from '../../core/messages.ts';
import { yieldToIo } from '../../core/yield.ts';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import type { EventsService } from '../events/index.ts';
import { formatIdentifier } from '../../verify/identifier.ts';
import type { Disclosure } from '../../verify/document.ts';
import { findByCases, insertCertificates, nextSerials } from './batch-issue.repository.ts';
import { freeSlots, MAX_SLOT_ROUNDS, rowOf, sign, type Signed } from './batch-signatures.ts';
import type { CertificateTypeRow } from './certificates.repository.ts';
import type { LedgerAppender, SealSigner } from './certificates.service.ts';
import { issuanceLeafFast } from './digests.ts';
import type { StatusListTarget, StatusLists } from './status-lists.ts';
import type { DisclosureVault } from './disclosure-vault.ts';

/** What one certificate of a batch is made from, read before the transaction. */
export interface BatchItem {
  caseId: string;
  applicantId: string;
  reviewerId: string;
  type: CertificateTypeRow;
  issuer: { code: string; name: string; path: string; creditCode: string };
  holder: { name: string; residentIdMasked: string };
  seal: SealSigner;
  values: { name: string; value: string }[];
}

export interface BatchIssueDeps {
  ledger: Pick<LedgerAppender, 'appendManyInTx' | 'newEntryIds'>;
  events: Pick<EventsService, 'enqueueMany'>;
  /** The list the batch's slots are drawn from. */
  statusList: StatusListTarget;
  /** Seals each certificate's disclosures for storage (disclosure-vault.ts). */
  vault: Pick<DisclosureVault, 'seal'>;
  /** Counts the list's new certificates in the issuing transaction (absent for lists outside `status_lists`, in tests). */
  statusLists?: Pick<StatusLists, 'countIssued'>;
}

export interface IssuedCertificate {
  id: string;
  caseId: string;
  identifier: string;
  ledgerEntryId: number;
}

export interface PreparedBatch {
  /** The identifier each case's certificate will carry (known before the transaction). */
  identifiers: ReadonlyMap<string, string>;
  /** Inserts the certificates of `caseIds` (a subset of the prepared cases) in the caller's transaction. */
  issue(tx: Executor, caseIds: readonly string[]): Promise<Map<string, IssuedCertificate>>;
}

const SALT_BYTES = 16;
/** Certificates signed between two turns of the event loop. */
const YIELD_EVERY = 8;

/** Serials, slots and signatures for `items`; the returned step writes them inside the decision's transaction. */
export async function prepareBatchIssue(
  db: Executor,
  deps: BatchIssueDeps,
  items: readonly BatchItem[],
  issuedAt: Date,
): Promise<PreparedBatch> {
  const serials = await nextSerials(db, items.length);
  const slots = await freeSlots(db, deps.statusList, items.length, new Set());
  const signed = new Map<string, Signed>();
  // One random draw for every salt of the batch.
  const saltCount = items.reduce((n, item) => n + item.values.length, 0);
  const salts = randomBytes(SALT_BYTES * saltCount).toString('hex');
  const encoder = new TextEncoder();
  let nextSalt = 0;
  for (const [i, item] of items.entries()) {
    const disclosures: Disclosure[] = [];
    for (const v of item.values) {
      disclosures.push({ name: v.name, value: v.value, salt: salts.slice(nextSalt, (nextSalt += SALT_BYTES * 2)) });
    }
    const serial = serials[i]!;
    const identifier = formatIdentifier({
      typeCode: item.type.typeCode,
      issuerCode: item.issuer.creditCode,
      serial: String(serial).padStart(10, '0'),
      version: '001',
    });
    const validUntil = item.type.validityDays ? new Date(issuedAt.getTime() + item.type.validityDays * 86_400_000) : null;
    const base = { item, serial, identifier, disclosures, issuedAt, validUntil };
    signed.set(item.caseId, await sign(base, slots[i]!, deps.statusList.url, encoder));
    // A batch of hundreds is tens of milliseconds of signing: requests of this process go between.
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToIo();
  }

  return {
    identifiers: new Map([...signed].map(([caseId, s]) => [caseId, s.identifier])),
    async issue(tx, caseIds) {
      const issued = new Map<string, IssuedCertificate>();
      let pending = caseIds.map((id) => {
        const s = signed.get(id);
        if (!s) throw new Error(`case ${id} was not prepared for issuance`);
        return s;
      });
      // Each certificate is inserted with the id of its leaf, drawn first (a sequence: no lock),
      // and the leaves are queued after: the sequencer numbers them once the batch commits.
      // Ids drawn for rows that were not inserted are simply never used.
      const fresh: { id: string; caseId: string; identifier: string; ledgerEntryId: number }[] = [];
      for (let round = 0; pending.length > 0; round++) {
        if (round === MAX_SLOT_ROUNDS) throw new AppError('CONFLICT', { detail: message('certificates.statusListFull') });
        // In slot order: concurrent batches that want the same slots then wait for each other in
        // one order, never in a cycle (a deadlock).
        pending.sort((x, y) => x.payload.status.index - y.payload.status.index);
        const ids = await deps.ledger.newEntryIds(tx, pending.length);
        const tentative = new Map(pending.map((s, i) => [s.item.caseId, ids[i]!]));
        const inserted = await insertCertificates(
          tx,
          pending.map((s) => rowOf(s, deps.statusList.list, tentative.get(s.item.caseId)!, deps.vault)),
        );
        for (const row of inserted) {
          const withEntry = { ...row, ledgerEntryId: tentative.get(row.caseId)! };
          issued.set(row.caseId, withEntry);
          fresh.push(withEntry);
        }
        const missed = pending.filter((s) => !issued.has(s.item.caseId));
        if (missed.length === 0) break;
        // Not inserted: the case already has its certificate (kept as it is), or the slot went to a concurrent issuer.
        for (const row of await findByCases(
          tx,
          missed.map((s) => s.item.caseId),
        ))
          issued.set(row.caseId, row);
        const lost = missed.filter((s) => !issued.has(s.item.caseId));
        const taken = new Set(pending.map((s) => s.payload.status.index));
        const again = await freeSlots(tx, deps.statusList, lost.length, taken);
        pending = [];
        for (const [i, s] of lost.entries()) {
          const redone = await sign(s, again[i]!, deps.statusList.url, encoder);
          signed.set(s.item.caseId, redone);
          pending.push(redone);
        }
      }
      if (fresh.length === 0) return issued;
      fresh.sort((x, y) => x.ledgerEntryId - y.ledgerEntryId);
      const byCase = new Map(fresh.map((r) => [r.caseId, signed.get(r.caseId)!]));
      await deps.events.enqueueMany(
        tx,
        fresh.map((r) => ({
          topic: 'certificate.issued',
          payload: {
            certificateId: r.id,
            identifier: r.identifier,
            type: byCase.get(r.caseId)!.payload.type,
            caseId: r.caseId,
            holderId: byCase.get(r.caseId)!.item.applicantId,
          },
        })),
      );
      await deps.ledger.appendManyInTx(
        tx,
        fresh.map((r) => {
          const s = byCase.get(r.caseId)!;
          return { id: r.ledgerEntryId, kind: 'certificate.issued', data: encoder.encode(issuanceLeafFast(s.payload, s.payloadText)) };
        }),
      );
      await deps.statusLists?.countIssued(tx, deps.statusList.list, fresh.length);
      return issued;
    },
  };
}
