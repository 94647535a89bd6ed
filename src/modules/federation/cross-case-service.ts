/**
 * 异地代收代办 (issue 16, service 2): a window clerk in province A accepts a case for province B.
 * A sends `case.handover` (form, material digests, the applicant's masked ID and keyed id, A's
 * ref); B records it once per message id and opens a real case through the applications port, as a
 * system actor acting for the applicant (the submission's idempotency key is the message id); B
 * answers `case.accepted`, and `case.decided` when its case is decided. Each side keeps its states
 * in `federation_cases`; every message is a ledger leaf on both sides (messages.ts).
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { EventHandler } from '../events/index.ts';
import { maskResidentId, systemPrincipal, type Principal } from '../identity/index.ts';
import { federationCases, type CrossCaseMaterial } from './cross-case-cases.tables.ts';
import type { FederationMessage, MessageTypeHandler } from './message-types.ts';
import { parseMemberId } from './node-identity.ts';

export const CASE_OPEN_TOPIC = 'federation.case.open';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The roles that work a division's service window (a hospital's window settles insurance only). */
const WINDOW_ROLES = new Set(['village_reviewer', 'township_admin', 'county_admin', 'city_admin', 'department_officer']);

export interface CrossCaseDeps {
  db: Db;
  clock: () => Date;
  events: { enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<number> };
  send(tx: Executor, to: string, type: string, payload: Record<string, unknown>): Promise<{ id: string }>;
  residents: {
    residentKey(residentId: string): string | null;
    findResidentByKey(key: string): Promise<{ accountId: string } | null>;
    revealResidentId(accountId: string): Promise<string | null>;
  };
  applications: {
    submit(
      principal: Principal,
      input: { serviceCode: string; form: Record<string, unknown> },
      idempotencyKey?: string,
    ): Promise<{ case: { id: string; state: string } }>;
  };
}

export interface HandOverInput {
  to: string;
  serviceCode: string;
  form: Record<string, unknown>;
  residentId: string;
  materials?: CrossCaseMaterial[];
}

type Row = typeof federationCases.$inferSelect;

function view(row: Row) {
  return {
    id: row.id,
    side: row.side,
    peer: row.peer,
    serviceCode: row.serviceCode,
    applicantMasked: row.applicantMasked,
    state: row.state,
    caseId: row.caseId,
    decision: row.decision,
    reason: row.reason,
    certificateId: row.certificateId,
    handoverMessageId: row.handoverMessageId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type CrossCaseView = ReturnType<typeof view>;

const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200)
    throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `${field} is a string` });
  return v;
};

export function createCrossCases(deps: CrossCaseDeps) {
  const { db, clock } = deps;
  const ownKey = async (accountId: string) => {
    const residentId = await deps.residents.revealResidentId(accountId);
    return residentId ? deps.residents.residentKey(residentId) : null;
  };

  async function findOrigin(tx: Executor, message: FederationMessage): Promise<Row> {
    const ref = str(message.payload.originRef, 'originRef');
    const [row] = await tx
      .select()
      .from(federationCases)
      .where(and(eq(federationCases.id, UUID.test(ref) ? ref : randomUUID()), eq(federationCases.side, 'sender')));
    if (!row || row.peer !== message.from)
      throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `no hand-over ${ref} to ${message.from}` });
    return row;
  }

  const handover: MessageTypeHandler = {
    type: 'case.handover',
    async apply(tx, message) {
      const p = message.payload;
      const materials = Array.isArray(p.materials) ? (p.materials as CrossCaseMaterial[]) : [];
      if (typeof p.form !== 'object' || p.form === null || Array.isArray(p.form))
        throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'form is an object' });
      const now = clock();
      const id = randomUUID();
      await tx.insert(federationCases).values({
        id,
        side: 'receiver',
        peer: message.from,
        handoverMessageId: message.id,
        originRef: str(p.originRef, 'originRef'),
        serviceCode: str(p.serviceCode, 'serviceCode'),
        form: p.form as Record<string, unknown>,
        materials: materials.map((m) => ({ name: String(m.name), sha256: String(m.sha256) })),
        applicantMasked: str(p.applicantMasked, 'applicantMasked'),
        applicantKey: str(p.applicantKey, 'applicantKey'),
        state: 'received',
        createdAt: now,
        updatedAt: now,
      });
      // The case is opened after this transaction commits (the applications module has its own).
      await deps.events.enqueue(tx, { topic: CASE_OPEN_TOPIC, payload: { crossCaseId: id } });
      return { received: id };
    },
  };

  const answer = (type: 'case.accepted' | 'case.decided'): MessageTypeHandler => ({
    type,
    async apply(tx, message) {
      const row = await findOrigin(tx, message);
      const p = message.payload;
      const state = type === 'case.accepted' ? 'accepted' : p.decision === 'refused' ? 'refused' : 'decided';
      // A late `case.accepted` never takes a decided case back.
      if (type === 'case.accepted' && row.state !== 'handed-over') return { state: row.state };
      await tx
        .update(federationCases)
        .set({
          state,
          caseId: typeof p.caseId === 'string' && UUID.test(p.caseId) ? p.caseId : row.caseId,
          decision: typeof p.decision === 'string' ? p.decision.slice(0, 40) : row.decision,
          reason: typeof p.reason === 'string' ? p.reason.slice(0, 500) : row.reason,
          certificateId: typeof p.certificateId === 'string' ? p.certificateId.slice(0, 200) : row.certificateId,
          updatedAt: clock(),
        })
        .where(eq(federationCases.id, row.id));
      return { state };
    },
  });

  /** B: opens the local case for a received hand-over (idempotent: the submission's key is the message id). */
  const opener: EventHandler = {
    name: 'federation.cross-case.open',
    topics: [CASE_OPEN_TOPIC],
    handle: async (event, handling) => {
      const [row] = await db
        .select()
        .from(federationCases)
        .where(eq(federationCases.id, String(event.payload.crossCaseId)));
      if (!row || row.state !== 'received') return;
      let outcome: { caseId: string; state: 'accepted' } | { reason: string; state: 'refused' };
      const resident = await deps.residents.findResidentByKey(row.applicantKey);
      if (!resident) outcome = { state: 'refused', reason: '申请人未在本省登记 (the applicant is not registered here)' };
      else {
        const principal = systemPrincipal({
          actor: `federation:${row.peer}`,
          forResident: { residentId: resident.accountId, scopes: ['applications.submit'] },
        });
        try {
          const submitted = await deps.applications.submit(
            principal,
            { serviceCode: row.serviceCode, form: row.form },
            `fed-${row.handoverMessageId}`,
          );
          outcome = { state: 'accepted', caseId: submitted.case.id };
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          outcome = { state: 'refused', reason: error.code };
        }
      }
      await db.transaction(async (tx) => {
        const now = clock();
        await tx
          .update(federationCases)
          .set(
            outcome.state === 'accepted'
              ? { state: 'accepted', caseId: outcome.caseId, updatedAt: now }
              : { state: 'refused', decision: 'refused', reason: outcome.reason, updatedAt: now },
          )
          .where(eq(federationCases.id, row.id));
        await deps.send(
          tx,
          row.peer,
          outcome.state === 'accepted' ? 'case.accepted' : 'case.decided',
          outcome.state === 'accepted'
            ? { originRef: row.originRef, caseId: outcome.caseId, caseNumber: outcome.caseId }
            : { originRef: row.originRef, decision: 'refused', reason: outcome.reason },
        );
        await handling.markHandled(tx);
      });
    },
  };

  /** B: a decided case that came by hand-over sends its decision back. */
  const decided: EventHandler = {
    name: 'federation.cross-case.decided',
    topics: ['case.decided'],
    handle: async (event, handling) => {
      const caseId = String(event.payload.caseId);
      if (!UUID.test(caseId)) return;
      const [row] = await db
        .select()
        .from(federationCases)
        .where(and(eq(federationCases.caseId, caseId), eq(federationCases.side, 'receiver')));
      if (!row || row.state === 'decided') return;
      const decision = String(event.payload.state);
      await db.transaction(async (tx) => {
        await tx.update(federationCases).set({ state: 'decided', decision, updatedAt: clock() }).where(eq(federationCases.id, row.id));
        await deps.send(tx, row.peer, 'case.decided', { originRef: row.originRef, caseId, caseNumber: caseId, decision });
        await handling.markHandled(tx);
      });
    },
  };

  return {
    messageTypes: [handover, answer('case.accepted'), answer('case.decided')],
    eventHandlers: [opener, decided],

    /** A: a window clerk hands a case over to another province (access checked first). */
    async handOver(principal: Principal, input: HandOverInput): Promise<CrossCaseView> {
      if (principal.kind !== 'staff' || !principal.roles.some((g) => WINDOW_ROLES.has(g.role))) throw new AppError('FORBIDDEN');
      if (!parseMemberId(input.to)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `bad member id ${input.to}` });
      const key = deps.residents.residentKey(input.residentId);
      if (!key) throw new AppError('FEDERATION_CASE_REFUSED', { reason: '身份证号码无效 (invalid ID number)' });
      const materials = (input.materials ?? []).map((m) => ({ name: m.name, sha256: m.sha256 }));
      const masked = maskResidentId(input.residentId.trim().toUpperCase());
      const row = await db.transaction(async (tx) => {
        const id = randomUUID();
        const now = clock();
        const sent = await deps.send(tx, input.to, 'case.handover', {
          originRef: id,
          serviceCode: input.serviceCode,
          form: input.form,
          materials,
          applicantMasked: masked,
          applicantKey: key,
        });
        const [inserted] = await tx
          .insert(federationCases)
          .values({
            id,
            side: 'sender',
            peer: input.to,
            handoverMessageId: sent.id,
            originRef: id,
            serviceCode: input.serviceCode,
            form: input.form,
            materials,
            applicantMasked: masked,
            applicantKey: key,
            state: 'handed-over',
            clerkId: principal.accountId,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return inserted!;
      });
      return view(row);
    },

    /** A cross-province case's states on this node: its clerk's staff, or the applicant. */
    async get(principal: Principal, id: string): Promise<CrossCaseView> {
      if (principal.kind === 'system') throw new AppError('FORBIDDEN');
      if (!UUID.test(id)) throw notFound('case');
      const [row] = await db.select().from(federationCases).where(eq(federationCases.id, id));
      if (!row) throw notFound('case');
      const staffSees = principal.kind === 'staff' && principal.roles.some((g) => WINDOW_ROLES.has(g.role));
      const residentSees = principal.kind === 'resident' && (await ownKey(principal.accountId)) === row.applicantKey;
      if (!staffSees && !residentSees) throw notFound('case');
      return view(row);
    },
  };
}

export type CrossCases = ReturnType<typeof createCrossCases>;
