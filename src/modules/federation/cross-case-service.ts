/**
 * Cross-province cases (issue 16): 异地代收代办 (service 2) — a window clerk in province A accepts a
 * case for province B — and 全程网办 (service 1) — a resident logged in at home (A) applies online
 * for a service B handles. A sends `case.handover` or `case.apply-online` (form, material digests,
 * the applicant's ID number and name inside the signed message, A's ref); B keys the ID number under
 * its own master key, finds or registers the applicant (as an OIDC login of another province's
 * resident does), records the message once per id and opens a real case through the applications
 * port, as a system actor acting for the applicant (the submission's idempotency key is the message
 * id); B answers `case.accepted`, and `case.decided` (decision, reason, and the sealed certificate
 * when one was issued) when its case is decided. Each side keeps its states in `federation_cases`;
 * every message is a ledger leaf on both sides with digests only (messages.ts).
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { EventHandler } from '../events/index.ts';
import { canonicalJson } from '../../verify/document.ts';
import { maskResidentId, systemPrincipal, type Principal } from '../identity/index.ts';
import { federationCases, type CrossCaseChannel, type CrossCaseMaterial } from './cross-case-cases.tables.ts';
import type { FederationMessage, MessageTypeHandler } from './message-types.ts';
import { parseMemberId } from './node-identity.ts';

export const CASE_OPEN_TOPIC = 'federation.case.open';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
/** The roles that work a division's service window (a hospital's window settles insurance only). */
const WINDOW_ROLES = new Set(['village_reviewer', 'township_admin', 'county_admin', 'city_admin', 'department_officer']);
const OPENING_TYPES: Record<string, CrossCaseChannel> = { 'case.handover': 'window', 'case.apply-online': 'online' };
const LIST_LIMIT = 100;

export interface CrossCaseDeps {
  db: Db;
  clock: () => Date;
  events: { enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<number> };
  send(tx: Executor, to: string, type: string, payload: Record<string, unknown>): Promise<{ id: string }>;
  /** A received message's payload as signed (its body opened from the sealed row); null once pruned. */
  receivedPayload(messageId: string): Promise<Record<string, unknown> | null>;
  residents: {
    residentKey(residentId: string): string | null;
    findResidentByKey(key: string): Promise<{ accountId: string } | null>;
    revealResidentId(accountId: string): Promise<string | null>;
    getResidentSummary(accountId: string): Promise<{ name: string } | null>;
    ensureResidentFromPeer(input: { residentId: string; name: string; peer: string }): Promise<{ accountId: string }>;
  };
  applications: {
    submit(
      principal: Principal,
      input: { serviceCode: string; form: Record<string, unknown>; orgCode?: string },
      idempotencyKey?: string,
    ): Promise<{ case: { id: string; state: string } }>;
    getCase(principal: Principal, id: string): Promise<{ events: { action: string; reason: string | null }[] }>;
  };
  /** The certificate a case produced, sealed as the certificates module exports it (null when none). */
  certificates: { ofCase(principal: Principal, caseId: string): Promise<{ id: string; bundle: Record<string, unknown> } | null> };
  /**
   * The federation directory: who offers which services (a member's entry). `resolve` asks the hub
   * for a newer directory when the member is not in this node's copy (one that joined since the last
   * refresh), so a hand-over to it is not refused until the next periodic refresh.
   */
  directory: {
    resolve(memberId: string): Promise<{ memberId: string; name: string; services: string[] } | null>;
    current(): Promise<{ hub: string; members: { memberId: string; name: string; services: string[] }[] } | null>;
  };
  /** This node's member id (the null of a standalone node offers nothing). */
  self: string | null;
  /** Service names this node's catalog knows (the same codes across the federation), for the resident's picker. */
  serviceNames(): Promise<Map<string, { nameZh: string; nameEn: string }>>;
}

export interface HandOverInput {
  to: string;
  serviceCode: string;
  form: Record<string, unknown>;
  residentId: string;
  /** The applicant's name: lets the handling node register an applicant it does not know yet. */
  applicantName?: string;
  /** Where in the handling province the case goes (a village code there); absent, the applicant's home there. */
  orgCode?: string;
  materials?: CrossCaseMaterial[];
}

export interface ApplyOnlineInput {
  to: string;
  serviceCode: string;
  form: Record<string, unknown>;
  /** Where in the handling province the case goes (a village code there); absent, the applicant's home there. */
  orgCode?: string;
}

type Row = typeof federationCases.$inferSelect;

/** What the sealed certificate says about itself (its payload is signed JSON text). */
function certificateSummary(bundle: Record<string, unknown> | null) {
  if (!bundle || typeof bundle.payload !== 'string') return null;
  try {
    const p = JSON.parse(bundle.payload) as { id?: string; type?: string; issuedAt?: string; issuer?: { name?: string } };
    return {
      identifier: String(p.id ?? ''),
      type: String(p.type ?? ''),
      issuerName: String(p.issuer?.name ?? ''),
      issuedAt: String(p.issuedAt ?? ''),
    };
  } catch {
    return null;
  }
}

function view(row: Row) {
  return {
    id: row.id,
    side: row.side,
    channel: row.channel,
    peer: row.peer,
    serviceCode: row.serviceCode,
    applicantMasked: row.applicantMasked,
    state: row.state,
    caseId: row.caseId,
    decision: row.decision,
    reason: row.reason,
    certificateId: row.certificateId,
    certificate: certificateSummary(row.certificate),
    handoverMessageId: row.handoverMessageId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type CrossCaseView = ReturnType<typeof view>;

const str = (v: unknown, field: string, max = 200): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `${field} is a string` });
  return v;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The applicant as the opening message names them (inside the signed body; never logged). */
function applicantOf(payload: Record<string, unknown>): { residentId: string; name: string | null } {
  const a = payload.applicant;
  if (!isObject(a)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'applicant is an object' });
  const name = typeof a.name === 'string' && a.name.trim() !== '' && a.name.length <= 50 ? a.name : null;
  return { residentId: str(a.residentId, 'applicant.residentId', 18), name };
}

export function createCrossCases(deps: CrossCaseDeps) {
  const { db, clock } = deps;
  const ownKey = async (accountId: string) => {
    const residentId = await deps.residents.revealResidentId(accountId);
    return residentId ? deps.residents.residentKey(residentId) : null;
  };
  const actingFor = (peer: string, residentId: string, scopes: ('applications.submit' | 'applications.view' | 'certificates.view')[]) =>
    systemPrincipal({ actor: `federation:${peer}`, forResident: { residentId, scopes } });

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

  /** B: `case.handover` / `case.apply-online` — recorded once; the case is opened after commit (CASE_OPEN_TOPIC). */
  const opening = (type: keyof typeof OPENING_TYPES): MessageTypeHandler => ({
    type,
    async apply(tx, message) {
      const p = message.payload;
      const materials = Array.isArray(p.materials) ? (p.materials as CrossCaseMaterial[]) : [];
      if (!isObject(p.form)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'form is an object' });
      const applicant = applicantOf(p);
      // Keyed under this node's own master key: nodes with different keys still find the same person.
      const key = deps.residents.residentKey(applicant.residentId);
      if (!key) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'applicant.residentId is not a valid ID number' });
      const now = clock();
      const id = randomUUID();
      await tx.insert(federationCases).values({
        id,
        side: 'receiver',
        channel: OPENING_TYPES[type]!,
        peer: message.from,
        handoverMessageId: message.id,
        originRef: str(p.originRef, 'originRef'),
        serviceCode: str(p.serviceCode, 'serviceCode'),
        form: p.form,
        materials: materials.map((m) => ({ name: String(m.name), sha256: String(m.sha256) })),
        applicantMasked: maskResidentId(applicant.residentId.trim().toUpperCase()),
        applicantKey: key,
        state: 'received',
        createdAt: now,
        updatedAt: now,
      });
      await deps.events.enqueue(tx, { topic: CASE_OPEN_TOPIC, payload: { crossCaseId: id } });
      return { received: id };
    },
  });

  const answer = (type: 'case.accepted' | 'case.decided'): MessageTypeHandler => ({
    type,
    async apply(tx, message) {
      const row = await findOrigin(tx, message);
      const p = message.payload;
      const state = type === 'case.accepted' ? 'accepted' : p.decision === 'refused' ? 'refused' : 'decided';
      // A late `case.accepted` never takes a decided case back.
      if (type === 'case.accepted' && row.state !== 'handed-over') return { state: row.state };
      const certificate = isObject(p.certificate) && typeof p.certificate.payload === 'string' ? p.certificate : null;
      await tx
        .update(federationCases)
        .set({
          state,
          caseId: typeof p.caseId === 'string' && UUID.test(p.caseId) ? p.caseId : row.caseId,
          decision: typeof p.decision === 'string' ? p.decision.slice(0, 40) : row.decision,
          reason: typeof p.reason === 'string' ? p.reason.slice(0, 500) : row.reason,
          certificateId: typeof p.certificateId === 'string' ? p.certificateId.slice(0, 200) : row.certificateId,
          certificate: certificate ?? row.certificate,
          updatedAt: clock(),
        })
        .where(eq(federationCases.id, row.id));
      return { state };
    },
  });

  /** B: opens the local case for a received hand-over or online application (idempotent: keyed by the message id). */
  const opener: EventHandler = {
    name: 'federation.cross-case.open',
    topics: [CASE_OPEN_TOPIC],
    handle: async (event, handling) => {
      const [row] = await db
        .select()
        .from(federationCases)
        .where(eq(federationCases.id, String(event.payload.crossCaseId)));
      if (!row || row.state !== 'received') return;
      let outcome: { caseId: string; applicantId: string; state: 'accepted' } | { reason: string; state: 'refused' };
      // The ID number is read back from the signed message as received (sealed at rest), never from a log.
      const payload = await deps.receivedPayload(row.handoverMessageId);
      const applicant = payload ? applicantOf(payload) : null;
      const orgCode = typeof payload?.orgCode === 'string' && /^[0-9]{6,12}$/.test(payload.orgCode) ? payload.orgCode : undefined;
      let resident: { accountId: string } | null = null;
      try {
        resident =
          applicant && applicant.name
            ? await deps.residents.ensureResidentFromPeer({ residentId: applicant.residentId, name: applicant.name, peer: row.peer })
            : await deps.residents.findResidentByKey(row.applicantKey);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
      if (!resident) outcome = { state: 'refused', reason: '申请人未在本省登记 (the applicant is not registered here)' };
      else {
        try {
          const submitted = await deps.applications.submit(
            actingFor(row.peer, resident.accountId, ['applications.submit']),
            { serviceCode: row.serviceCode, form: row.form, ...(orgCode ? { orgCode } : {}) },
            `fed-${row.handoverMessageId}`,
          );
          outcome = { state: 'accepted', caseId: submitted.case.id, applicantId: resident.accountId };
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
              ? { state: 'accepted', caseId: outcome.caseId, applicantId: outcome.applicantId, updatedAt: now }
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

  /** B: a decided case that came from another province sends its decision, reason and certificate back. */
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
      let reason: string | null = null;
      let certificate: { id: string; bundle: Record<string, unknown> } | null = null;
      if (row.applicantId) {
        // Read as the applicant's own (a system actor acting for them): what they would see themselves.
        const principal = actingFor(row.peer, row.applicantId, ['applications.view', 'certificates.view']);
        const detail = await deps.applications.getCase(principal, caseId);
        reason = detail.events.findLast((e) => e.action === 'approve' || e.action === 'reject')?.reason ?? null;
        certificate = await deps.certificates.ofCase(principal, caseId);
      }
      await db.transaction(async (tx) => {
        await tx
          .update(federationCases)
          .set({ state: 'decided', decision, reason, certificateId: certificate?.id ?? null, updatedAt: clock() })
          .where(eq(federationCases.id, row.id));
        await deps.send(tx, row.peer, 'case.decided', {
          originRef: row.originRef,
          caseId,
          caseNumber: caseId,
          decision,
          ...(reason ? { reason } : {}),
          ...(certificate ? { certificateId: certificate.id, certificate: certificate.bundle } : {}),
        });
        await handling.markHandled(tx);
      });
    },
  };

  /** A: records the sender's row and its opening message in one transaction. */
  async function send(
    type: keyof typeof OPENING_TYPES,
    input: { to: string; serviceCode: string; form: Record<string, unknown>; materials: CrossCaseMaterial[]; orgCode?: string },
    applicant: { residentId: string; name: string | null; key: string; accountId: string | null },
    extra: { clerkId?: string; requestKey?: string },
  ): Promise<Row> {
    const masked = maskResidentId(applicant.residentId.trim().toUpperCase());
    return db.transaction(async (tx) => {
      const id = randomUUID();
      const now = clock();
      const sent = await deps.send(tx, input.to, type, {
        originRef: id,
        serviceCode: input.serviceCode,
        form: input.form,
        materials: input.materials,
        ...(input.orgCode ? { orgCode: input.orgCode } : {}),
        applicantMasked: masked,
        applicant: { residentId: applicant.residentId.trim().toUpperCase(), ...(applicant.name ? { name: applicant.name } : {}) },
      });
      const [inserted] = await tx
        .insert(federationCases)
        .values({
          id,
          side: 'sender',
          channel: OPENING_TYPES[type]!,
          peer: input.to,
          handoverMessageId: sent.id,
          originRef: id,
          serviceCode: input.serviceCode,
          form: input.form,
          materials: input.materials,
          applicantMasked: masked,
          applicantKey: applicant.key,
          applicantId: applicant.accountId,
          state: 'handed-over',
          clerkId: extra.clerkId ?? null,
          requestKey: extra.requestKey ?? null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return inserted!;
    });
  }

  /** The member must be another province whose directory entry lists the service. */
  async function requireOffered(to: string, serviceCode: string): Promise<void> {
    if (!parseMemberId(to) || to === deps.self) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `bad member id ${to}` });
    const member = await deps.directory.resolve(to);
    if (!member) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: to });
    if (!member.services.includes(serviceCode))
      throw new AppError('FEDERATION_CASE_REFUSED', { reason: `${member.name} 不办理 ${serviceCode} (not offered there)` });
  }

  const sameRequest = (r: Row, input: { to: string; serviceCode: string; form: Record<string, unknown> }) =>
    r.peer === input.to && r.serviceCode === input.serviceCode && canonicalJson(r.form) === canonicalJson(input.form);

  /**
   * Idempotency-Key: the request of `owner` (the applicant or the clerk) with this key, if there was
   * one (the same content answers the first row; other content is refused), else `create`. Two
   * retries at once: the unique (owner, key) index keeps one; that one is the answer.
   */
  async function once(
    column: typeof federationCases.applicantId | typeof federationCases.clerkId,
    owner: string,
    requestKey: string | undefined,
    same: (r: Row) => boolean,
    create: () => Promise<Row>,
  ): Promise<CrossCaseView> {
    if (requestKey === undefined) return view(await create());
    if (!IDEMPOTENCY_KEY.test(requestKey)) throw new AppError('IDEMPOTENCY_KEY_INVALID');
    const earlier = async () => {
      const [row] = await db
        .select()
        .from(federationCases)
        .where(and(eq(column, owner), eq(federationCases.requestKey, requestKey)));
      if (row && !same(row)) throw new AppError('IDEMPOTENCY_KEY_REUSED');
      return row;
    };
    const first = await earlier();
    if (first) return view(first);
    try {
      return view(await create());
    } catch (error) {
      const winner = await earlier();
      if (!winner) throw error;
      return view(winner);
    }
  }

  const isWindowStaff = (principal: Principal) => principal.kind === 'staff' && principal.roles.some((g) => WINDOW_ROLES.has(g.role));

  return {
    messageTypes: [opening('case.handover'), opening('case.apply-online'), answer('case.accepted'), answer('case.decided')],
    eventHandlers: [opener, decided],

    /** A: a window clerk hands a case over to another province (access checked first; with a key, a retry is the first). */
    async handOver(principal: Principal, input: HandOverInput, idempotencyKey?: string): Promise<CrossCaseView> {
      if (!isWindowStaff(principal)) throw new AppError('FORBIDDEN');
      if (!parseMemberId(input.to)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `bad member id ${input.to}` });
      const key = deps.residents.residentKey(input.residentId);
      if (!key) throw new AppError('FEDERATION_CASE_REFUSED', { reason: '身份证号码无效 (invalid ID number)' });
      const materials = (input.materials ?? []).map((m) => ({ name: m.name, sha256: m.sha256 }));
      const name = input.applicantName?.trim() || null;
      const same = (r: Row) => sameRequest(r, input) && r.applicantKey === key;
      return once(federationCases.clerkId, principal.accountId, idempotencyKey, same, async () => {
        // Before the transaction: a member missing from this node's copy is asked of the hub (send reads the copy).
        if (!(await deps.directory.resolve(input.to))) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: input.to });
        return send(
          'case.handover',
          {
            to: input.to,
            serviceCode: input.serviceCode,
            form: input.form,
            materials,
            ...(input.orgCode ? { orgCode: input.orgCode } : {}),
          },
          { residentId: input.residentId, name, key, accountId: null },
          { clerkId: principal.accountId, ...(idempotencyKey ? { requestKey: idempotencyKey } : {}) },
        );
      });
    },

    /** A: 全程网办 — a resident applies online at home for a service another province handles (a retry with the same key is the first). */
    async applyOnline(principal: Principal, input: ApplyOnlineInput, idempotencyKey: string): Promise<CrossCaseView> {
      if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
      return once(
        federationCases.applicantId,
        principal.accountId,
        idempotencyKey,
        (r) => sameRequest(r, input),
        async () => {
          await requireOffered(input.to, input.serviceCode);
          const [residentId, summary] = await Promise.all([
            deps.residents.revealResidentId(principal.accountId),
            deps.residents.getResidentSummary(principal.accountId),
          ]);
          const key = residentId ? deps.residents.residentKey(residentId) : null;
          if (!residentId || !key || !summary) throw notFound('account');
          return send(
            'case.apply-online',
            {
              to: input.to,
              serviceCode: input.serviceCode,
              form: input.form,
              materials: [],
              ...(input.orgCode ? { orgCode: input.orgCode } : {}),
            },
            { residentId, name: summary.name, key, accountId: principal.accountId },
            { requestKey: idempotencyKey },
          );
        },
      );
    },

    /** A cross-province case's states on this node: its clerk's staff, or the applicant. */
    async get(principal: Principal, id: string): Promise<CrossCaseView> {
      if (principal.kind === 'system') throw new AppError('FORBIDDEN');
      if (!UUID.test(id)) throw notFound('case');
      const [row] = await db.select().from(federationCases).where(eq(federationCases.id, id));
      if (!row) throw notFound('case');
      const residentSees = principal.kind === 'resident' && (await ownKey(principal.accountId)) === row.applicantKey;
      if (!isWindowStaff(principal) && !residentSees) throw notFound('case');
      return view(row);
    },

    /**
     * The cross-province cases a person follows here, newest first: a resident's own (handed over
     * at a window or applied for online, sent or received); window staff's, the hand-overs sent.
     */
    async list(principal: Principal): Promise<CrossCaseView[]> {
      if (principal.kind === 'resident') {
        const key = await ownKey(principal.accountId);
        if (!key) return [];
        const rows = await db
          .select()
          .from(federationCases)
          .where(eq(federationCases.applicantKey, key))
          .orderBy(desc(federationCases.createdAt))
          .limit(LIST_LIMIT);
        return rows.map(view);
      }
      if (!isWindowStaff(principal)) throw new AppError('FORBIDDEN');
      const rows = await db
        .select()
        .from(federationCases)
        .where(and(eq(federationCases.side, 'sender'), eq(federationCases.channel, 'window')))
        .orderBy(desc(federationCases.createdAt))
        .limit(LIST_LIMIT);
      return rows.map(view);
    },

    /**
     * The resident's certificates issued by other provinces (全程网办 or a hand-over), as they came
     * back sealed: listed in the wallet beside this node's, verifiable with the national trust list.
     */
    async foreignCertificates(principal: Principal) {
      if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
      const key = await ownKey(principal.accountId);
      if (!key) return [];
      const rows = await db
        .select()
        .from(federationCases)
        .where(and(eq(federationCases.applicantKey, key), eq(federationCases.side, 'sender')))
        .orderBy(desc(federationCases.updatedAt))
        .limit(LIST_LIMIT);
      return rows.flatMap((r) => {
        const summary = certificateSummary(r.certificate);
        return r.certificate && summary
          ? [{ crossCaseId: r.id, peer: r.peer, serviceCode: r.serviceCode, ...summary, bundle: r.certificate }]
          : [];
      });
    },

    /** The provinces in the directory and the services their entries list (for the resident's 全程网办 picker). */
    async offers(principal: Principal) {
      if (principal.kind === 'system') throw new AppError('FORBIDDEN');
      const doc = await deps.directory.current();
      // The provinces only: not this node, not the hub.
      const members = (doc?.members ?? []).filter((m) => m.memberId !== deps.self && m.memberId !== doc?.hub && m.services.length > 0);
      const names = await deps.serviceNames();
      return members.map((m) => ({
        memberId: m.memberId,
        name: m.name,
        services: m.services
          .slice(0, 500)
          .map((code) => ({ code, nameZh: names.get(code)?.nameZh ?? code, nameEn: names.get(code)?.nameEn ?? code })),
      }));
    },
  };
}

export type CrossCases = ReturnType<typeof createCrossCases>;
