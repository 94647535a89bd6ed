/**
 * Evidence across provinces (issue 16, service 3), shaped like the EU Once-Only Technical System.
 * A resident with a case on A asks for evidence of a type (a certificate type) from province B,
 * named or found in the directory by the type (`licence.<type>` among B's datasets) and the
 * region of the resident's ID number. A sends `evidence.request` (the ID number inside the signed
 * body, the case ref, the type); B keys the number under its own key, finds the newest current
 * certificate of the type in its e-licence library and answers `evidence.response` with the
 * sealed bundle and its signed status lists, or `none`. A verifies it against the national trust
 * list and holds it as pending preview, which only the resident sees; the resident consents (it is
 * attached to the case, and the case's staff see it) or refuses (it is deleted). Every step on A is
 * a ledger leaf of ids, codes and digests; B records what it provided the same way.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { TrustAnchors } from '../../verify/verify-certificate.ts';
import type { EventHandler } from '../events/index.ts';
import type { Principal } from '../identity/index.ts';
import { evidenceDigest, parseEvidenceDocument, verifyEvidence } from './cross-evidence-verify.ts';
import { federationEvidence, type EvidenceDocument, type EvidenceState } from './cross-evidence.tables.ts';
import { evidenceView, type EvidenceRow } from './cross-evidence-views.ts';
import type { DirectoryDocument, DirectoryMember } from './documents.ts';
import type { FederationMessage, MessageTypeHandler } from './message-types.ts';
import { keyResidentAtReceiver, residentIdForMessage } from './resident-ref.ts';

export const EVIDENCE_FIND_TOPIC = 'federation.evidence.find';
export const EVIDENCE_VERIFY_TOPIC = 'federation.evidence.verify';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const EVIDENCE_TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const datasetOf = (type: string) => `licence.${type}`;

export interface CrossEvidenceDeps {
  db: Db;
  clock: () => Date;
  /** This node's member id (null when standalone). */
  memberId: string | null;
  events: { enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<number> };
  ledger: { appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }> };
  send(tx: Executor, to: string, type: string, payload: Record<string, unknown>): Promise<{ id: string }>;
  directory: { current(): Promise<DirectoryDocument | null>; resolve(memberId: string): Promise<DirectoryMember | null> };
  residents: {
    residentKey(residentId: string): string | null;
    findResidentByKey(key: string): Promise<{ accountId: string } | null>;
    revealResidentId(accountId: string): Promise<string | null>;
  };
  cases: { getCaseRef(principal: Principal, caseId: string): Promise<{ id: string; applicantId: string }> };
  /** B: the certificates module's e-licence library. */
  library: { licenceBundle(holderId: string, type: string): Promise<EvidenceDocument | null> };
  /** A: this node's trust anchors with the national trust list (certificates' `trustAnchors`). */
  trust: { trustAnchors(): Promise<TrustAnchors> };
}

export interface EvidenceRequestInput {
  caseId: string;
  evidenceType: string;
  /** The provider's member id; absent, found in the directory by the type and the ID number's region. */
  from?: string;
}

/** The resident in their own name: a helper or staff cannot preview or consent for them. */
function requireResident(principal: Principal): string {
  if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
  return principal.accountId;
}

export function createCrossEvidence(deps: CrossEvidenceDeps) {
  const { db, clock } = deps;

  async function leaf(tx: Executor, kind: string, row: { id: string; caseRef: string; evidenceType: string; peer: string }, extra = {}) {
    const data = canonicalJson({
      kind,
      id: row.id,
      case: row.caseRef,
      type: row.evidenceType,
      peer: row.peer,
      at: clock().toISOString(),
      ...extra,
    });
    await deps.ledger.appendInTx(tx, { kind, data: new TextEncoder().encode(data) });
  }

  async function setState(tx: Executor, id: string, values: Partial<EvidenceRow> & { state: EvidenceState }) {
    await tx
      .update(federationEvidence)
      .set({ ...values, updatedAt: clock() })
      .where(eq(federationEvidence.id, id));
  }

  /** A provider that offers the type: the one named, or the member of the ID number's province. */
  async function findProvider(residentId: string, type: string, from?: string): Promise<DirectoryMember> {
    const offers = (m: DirectoryMember) => m.datasets.includes(datasetOf(type)) && m.memberId !== deps.memberId;
    if (from) {
      const member = await deps.directory.resolve(from);
      if (!member || !offers(member)) throw new AppError('EVIDENCE_PROVIDER_NOT_FOUND', { type, region: from });
      return member;
    }
    const region = residentId.slice(0, 2);
    const members = (await deps.directory.current())?.members ?? [];
    const found = members.find((m) => offers(m) && m.memberId.split('/')[2]?.slice(0, 2) === region);
    if (!found) throw new AppError('EVIDENCE_PROVIDER_NOT_FOUND', { type, region: `${region}0000` });
    return found;
  }

  async function ownRow(principal: Principal, id: string): Promise<EvidenceRow> {
    const accountId = requireResident(principal);
    if (!UUID.test(id)) throw notFound('evidence');
    const [row] = await db.select().from(federationEvidence).where(eq(federationEvidence.id, id));
    if (!row || row.side !== 'requester' || row.residentAccountId !== accountId) throw notFound('evidence');
    return row;
  }

  async function findOrigin(tx: Executor, message: FederationMessage): Promise<EvidenceRow> {
    const ref = message.payload.requestRef;
    const [row] =
      typeof ref === 'string' && UUID.test(ref)
        ? await tx
            .select()
            .from(federationEvidence)
            .where(and(eq(federationEvidence.id, ref), eq(federationEvidence.side, 'requester')))
            // Two answers applied at once (two delivery lanes): the second waits and sees the first.
            .for('update')
        : [];
    if (!row || row.peer !== message.from) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `no evidence request ${String(ref)}` });
    return row;
  }

  /** B: records the request (once per message id), keyed under this node's key; the search runs after it commits. */
  const requestType: MessageTypeHandler = {
    type: 'evidence.request',
    async apply(tx, message) {
      const p = message.payload;
      const type = typeof p.evidenceType === 'string' && EVIDENCE_TYPE.test(p.evidenceType) ? p.evidenceType : null;
      const ref = typeof p.requestRef === 'string' && UUID.test(p.requestRef) ? p.requestRef : null;
      const caseRef = typeof p.caseRef === 'string' && UUID.test(p.caseRef) ? p.caseRef : null;
      if (!type || !ref || !caseRef) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'requestRef, caseRef, evidenceType' });
      const { key } = keyResidentAtReceiver(deps.residents, p.residentId);
      const id = randomUUID();
      const now = clock();
      await tx.insert(federationEvidence).values({
        id,
        side: 'provider',
        peer: message.from,
        requestMessageId: message.id,
        originRef: ref,
        caseRef,
        evidenceType: type,
        subjectKey: key,
        state: 'received',
        createdAt: now,
        updatedAt: now,
      });
      await deps.events.enqueue(tx, { topic: EVIDENCE_FIND_TOPIC, payload: { evidenceId: id } });
      return { received: id };
    },
  };

  /** A: the answer; a certificate is kept for verification (after this commits), `none` ends the request. */
  const responseType: MessageTypeHandler = {
    type: 'evidence.response',
    async apply(tx, message) {
      const row = await findOrigin(tx, message);
      // The first answer counts: a later one (a second answer from the provider) changes nothing.
      if (row.state !== 'requested' || row.digest !== null) return { state: row.state };
      if (message.payload.status === 'none') {
        await setState(tx, row.id, { state: 'none' });
        await leaf(tx, 'evidence.none', row);
        return { state: 'none' };
      }
      const document = parseEvidenceDocument(message.payload.document);
      if (message.payload.status !== 'found' || !document)
        throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'status is found (with a document) or none' });
      await setState(tx, row.id, { state: 'requested', document, digest: evidenceDigest(document) });
      await deps.events.enqueue(tx, { topic: EVIDENCE_VERIFY_TOPIC, payload: { evidenceId: row.id } });
      return { state: 'received' };
    },
  };

  /** B: looks the resident's certificate up and answers (the mark, the state, the leaf and the answer commit together). */
  const finder: EventHandler = {
    name: 'federation.evidence.find',
    topics: [EVIDENCE_FIND_TOPIC],
    handle: async (event, handling) => {
      const [row] = await db
        .select()
        .from(federationEvidence)
        .where(eq(federationEvidence.id, String(event.payload.evidenceId)));
      if (!row || row.state !== 'received') return;
      const resident = row.subjectKey ? await deps.residents.findResidentByKey(row.subjectKey) : null;
      const document = resident ? await deps.library.licenceBundle(resident.accountId, row.evidenceType) : null;
      const digest = document ? evidenceDigest(document) : null;
      await db.transaction(async (tx) => {
        await setState(tx, row.id, { state: document ? 'provided' : 'none', digest });
        await leaf(tx, 'evidence.provided', row, { digest });
        await deps.send(tx, row.peer, 'evidence.response', {
          requestRef: row.originRef,
          ...(document ? { status: 'found', document } : { status: 'none' }),
        });
        await handling.markHandled(tx);
      });
    },
  };

  /** A: verifies what arrived against the national trust list; a certificate that does not verify is deleted. */
  const verifier: EventHandler = {
    name: 'federation.evidence.verify',
    topics: [EVIDENCE_VERIFY_TOPIC],
    handle: async (event, handling) => {
      const [row] = await db
        .select()
        .from(federationEvidence)
        .where(eq(federationEvidence.id, String(event.payload.evidenceId)));
      if (!row || row.state !== 'requested' || !row.document) return;
      const provider = await deps.directory.resolve(row.peer);
      const at = clock();
      const result = await verifyEvidence({
        document: row.document,
        evidenceType: row.evidenceType,
        trust: await deps.trust.trustAnchors(),
        ...(provider?.ledger ? { providerLogVkey: provider.ledger.logVkey } : {}),
        at,
      });
      const verification = { verdict: result.verdict, checks: result.checks, verifiedAt: at.toISOString() };
      const valid = result.verdict === 'VALID';
      const reasons = result.checks.filter((c) => c.result !== 'pass' && c.result !== 'skipped').map((c) => c.reason ?? c.check);
      await db.transaction(async (tx) => {
        await setState(
          tx,
          row.id,
          valid
            ? { state: 'pending_preview', verification }
            : { state: 'invalid', document: null, verification, reason: [...new Set(reasons)].join(',').slice(0, 200) },
        );
        await leaf(tx, valid ? 'evidence.received' : 'evidence.invalid', row, { digest: row.digest, verdict: result.verdict });
        await handling.markHandled(tx);
      });
    },
  };

  async function decide(principal: Principal, id: string, to: 'attached' | 'refused') {
    const owned = await ownRow(principal, id);
    const row = await db.transaction(async (tx) => {
      const [locked] = await tx.select().from(federationEvidence).where(eq(federationEvidence.id, owned.id)).for('update');
      if (!locked) throw notFound('evidence');
      if (locked.state === to) return locked;
      if (locked.state !== 'pending_preview') throw new AppError('EVIDENCE_NOT_PENDING', { state: locked.state });
      const values = to === 'attached' ? { state: to } : { state: to, document: null };
      await setState(tx, locked.id, values);
      await leaf(tx, to === 'attached' ? 'evidence.consented' : 'evidence.refused', locked, { digest: locked.digest });
      return { ...locked, ...values };
    });
    return evidenceView(row, { withContent: to === 'attached' });
  }

  return {
    messageTypes: [requestType, responseType],
    eventHandlers: [finder, verifier],

    /** A: the resident asks for evidence for their own case (Idempotency-Key: a retry gets the same request). */
    async request(principal: Principal, input: EvidenceRequestInput, idempotencyKey?: string) {
      const accountId = requireResident(principal);
      if (!deps.memberId) throw new AppError('FEDERATION_DISABLED', { role: 'standalone' });
      if (!EVIDENCE_TYPE.test(input.evidenceType)) throw new AppError('VALIDATION_FAILED', { detail: 'evidenceType' });
      if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,128}$/.test(idempotencyKey)) throw new AppError('IDEMPOTENCY_KEY_INVALID');
      const kase = await deps.cases.getCaseRef(principal, input.caseId);
      if (kase.applicantId !== accountId) throw notFound('case');
      const hash = createHash('sha256')
        .update(canonicalJson({ ...input }))
        .digest('hex');
      const replay = async () => {
        const [prior] = idempotencyKey
          ? await db
              .select()
              .from(federationEvidence)
              .where(and(eq(federationEvidence.residentAccountId, accountId), eq(federationEvidence.idempotencyKey, idempotencyKey)))
          : [];
        if (prior && prior.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
        return prior ? evidenceView(prior) : null;
      };
      const earlier = await replay();
      if (earlier) return earlier;
      const residentId = await deps.residents.revealResidentId(accountId);
      if (!residentId) throw notFound('resident');
      const provider = await findProvider(residentId, input.evidenceType, input.from);
      const row = await db.transaction(async (tx) => {
        const now = clock();
        const id = randomUUID();
        const [inserted] = await tx
          .insert(federationEvidence)
          .values({
            id,
            side: 'requester',
            peer: provider.memberId,
            originRef: id,
            caseRef: kase.id,
            evidenceType: input.evidenceType,
            residentAccountId: accountId,
            state: 'requested',
            idempotencyKey: idempotencyKey ?? null,
            requestHash: hash,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning();
        if (!inserted) return null;
        const sent = await deps.send(tx, provider.memberId, 'evidence.request', {
          requestRef: id,
          caseRef: kase.id,
          evidenceType: input.evidenceType,
          residentId: residentIdForMessage(residentId),
        });
        await tx.update(federationEvidence).set({ requestMessageId: sent.id }).where(eq(federationEvidence.id, id));
        await leaf(tx, 'evidence.requested', inserted);
        return { ...inserted, requestMessageId: sent.id };
      });
      if (row) return evidenceView(row);
      // A concurrent request under the same key won the insert: its row is the answer.
      const winner = await replay();
      if (!winner) throw new AppError('CONFLICT', { detail: 'evidence request' });
      return winner;
    },

    /** What other provinces' e-licence libraries offer, by type, from the directory (for the resident's choice). */
    async offeredTypes(principal: Principal) {
      requireResident(principal);
      const members = (await deps.directory.current())?.members ?? [];
      const byType = new Map<string, { memberId: string; name: string }[]>();
      for (const m of members) {
        if (m.memberId === deps.memberId) continue;
        for (const d of m.datasets) {
          const type = d.startsWith('licence.') ? d.slice('licence.'.length) : null;
          if (type && EVIDENCE_TYPE.test(type)) byType.set(type, [...(byType.get(type) ?? []), { memberId: m.memberId, name: m.name }]);
        }
      }
      return [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([evidenceType, providers]) => ({ evidenceType, providers }));
    },

    /** A: the resident's evidence requests for one of their cases (pending ones with their content). */
    async listForCase(principal: Principal, caseId: string) {
      const accountId = requireResident(principal);
      const kase = await deps.cases.getCaseRef(principal, caseId);
      if (kase.applicantId !== accountId) throw notFound('case');
      const rows = await db
        .select()
        .from(federationEvidence)
        .where(and(eq(federationEvidence.caseRef, kase.id), eq(federationEvidence.residentAccountId, accountId)));
      return rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((r) => evidenceView(r));
    },

    /** A: the preview — what it says, who issued it, how it verified; only the resident who asked. */
    async preview(principal: Principal, id: string) {
      return evidenceView(await ownRow(principal, id), { withContent: true });
    },

    consent: (principal: Principal, id: string) => decide(principal, id, 'attached'),
    refuse: (principal: Principal, id: string) => decide(principal, id, 'refused'),

    /** A: the evidence attached to a case, for those who may see the case (its staff; the applicant). */
    async attachedToCase(principal: Principal, caseId: string) {
      const kase = await deps.cases.getCaseRef(principal, caseId);
      const rows = await db
        .select()
        .from(federationEvidence)
        .where(
          and(eq(federationEvidence.caseRef, kase.id), eq(federationEvidence.side, 'requester'), eq(federationEvidence.state, 'attached')),
        );
      return rows.map((r) => evidenceView(r, { withContent: true }));
    },
  };
}

export type CrossEvidence = ReturnType<typeof createCrossEvidence>;
