/**
 * The steps of batch issuance that need no transaction of their own: drawing free status slots
 * and signing a certificate's payload (again, when its slot went to a concurrent issuer), and the
 * row that stores it.
 */
import { randomInt } from 'node:crypto';
import { message } from '../../core/messages.ts';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import type { Disclosure, SignedPayload } from '../../verify/document.ts';
import type { BatchItem } from './batch-issue.ts';
import { freeSlotIndexes, takenSlots, type NewCertificate } from './batch-issue.repository.ts';
import { canonicalPayload, fieldDigestFast } from './digests.ts';
import type { DisclosureVault } from './disclosure-vault.ts';
import type { StatusListTarget } from './status-lists.ts';

export const MAX_SLOT_ROUNDS = 20;
/** Random draws for free slots before the list's free slots are read exactly (a list nearly full). */
const RANDOM_SLOT_ROUNDS = 8;

/** A certificate signed before the transaction; only its row is missing. */
export interface Signed {
  item: BatchItem;
  serial: number;
  identifier: string;
  disclosures: Disclosure[];
  issuedAt: Date;
  validUntil: Date | null;
  payload: SignedPayload;
  payloadText: string;
  signature: string;
}

export async function sign(
  base: Omit<Signed, 'payload' | 'payloadText' | 'signature'>,
  statusIndex: number,
  listUrl: string,
  encoder: { encode(input: string): Uint8Array },
): Promise<Signed> {
  const { item } = base;
  const payload: SignedPayload = {
    v: 1,
    id: base.identifier,
    type: item.type.code,
    typeName: { zh: item.type.nameZh, en: item.type.nameEn },
    issuer: { code: item.issuer.code, name: item.issuer.name, creditCode: item.issuer.creditCode },
    holder: { name: item.holder.name, residentIdMasked: item.holder.residentIdMasked },
    issuedAt: base.issuedAt.toISOString(),
    validUntil: base.validUntil?.toISOString() ?? null,
    status: { list: listUrl, index: statusIndex },
    keyId: item.seal.keyId,
    alg: item.seal.algorithm,
    fields: base.disclosures.map(fieldDigestFast).sort(),
  };
  const payloadText = canonicalPayload(payload);
  const signature = Buffer.from(await item.seal.sign(encoder.encode(payloadText))).toString('base64');
  return { ...base, payload, payloadText, signature };
}

export function rowOf(s: Signed, list: string, ledgerEntryId: number, vault: Pick<DisclosureVault, 'seal'>): NewCertificate {
  return {
    serial: s.serial,
    identifier: s.identifier,
    caseId: s.item.caseId,
    typeCode: s.item.type.code,
    holderId: s.item.applicantId,
    issuerOrgCode: s.item.issuer.code,
    issuerOrgPath: s.item.issuer.path,
    reviewerId: s.item.reviewerId,
    keyId: s.item.seal.keyId,
    payload: s.payloadText,
    signature: s.signature,
    disclosures: vault.seal(s.identifier, s.disclosures),
    statusList: list,
    statusIndex: s.payload.status.index,
    ledgerEntryId,
    issuedAt: s.issuedAt,
    validUntil: s.validUntil,
  };
}

/**
 * `count` distinct random slots, none in `exclude` nor already taken in the list. Drawn at random
 * and checked; when RANDOM_SLOT_ROUNDS draws have not found enough (the list is nearly full), the
 * list's free slots are read exactly and drawn from, so the list is called full only when it is.
 */
export async function freeSlots(
  db: Executor,
  statusList: StatusListTarget,
  count: number,
  exclude: ReadonlySet<number>,
): Promise<number[]> {
  const full = () => new AppError('CONFLICT', { detail: message('certificates.statusListFull') });
  if (count + exclude.size > statusList.size) throw full();
  const chosen = new Set<number>();
  for (let round = 0; chosen.size < count; round++) {
    if (round === RANDOM_SLOT_ROUNDS) {
      const free = (await freeSlotIndexes(db, statusList.list, statusList.size)).filter((i) => !exclude.has(i) && !chosen.has(i));
      if (free.length < count - chosen.size) throw full();
      while (chosen.size < count) chosen.add(free.splice(randomInt(free.length), 1)[0]!);
      break;
    }
    const candidates: number[] = [];
    const seen = new Set<number>();
    while (candidates.length < count - chosen.size) {
      const index = randomInt(statusList.size);
      if (!exclude.has(index) && !chosen.has(index) && !seen.has(index)) {
        seen.add(index);
        candidates.push(index);
      }
    }
    const taken = new Set(await takenSlots(db, statusList.list, candidates));
    for (const index of candidates) if (!taken.has(index)) chosen.add(index);
  }
  return [...chosen];
}
