import { createHash, randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { isUuid } from '../../core/values.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { Db, Tx } from '../../db/database.ts';
import type { CatalogService, ServiceItem } from '../catalog/catalog.service.ts';
import { chinaDate } from '../catalog/working-days.ts';
import type { Channel } from '../catalog/catalog.tables.ts';
import { hasRoleFor, isAdminRole, requireResidentScope, roleCovers, type Principal } from '../identity/principal.ts';
import type { StaffRole } from '../identity/identity.tables.ts';
import type { CaseState } from './applications.tables.ts';
import type { CaseDetailSchema, CaseViewSchema } from './applications.schemas.ts';
import * as repo from './applications.repository.ts';
import {
  decideChecked,
  decideMany,
  type BatchApprovalHook,
  type BatchDecideContext,
  type BatchDecideInput,
  type BatchDecisionResult,
} from './batch-decisions.ts';
import { createApprovalGroups, DEFAULT_APPROVAL_GROUPS, type ApprovalGroupOptions } from './approval-groups.ts';
import { ACTION_LABELS, APPLICANT_ACTIONS, OPEN_STATES, STATE_LABELS, nextState, type CaseAction } from './case-state.ts';

/** What applications needs to know about orgs, through the orgs service. */
export interface CaseOrgDirectory {
  getOrg(code: string): Promise<{ code: string; level: string; name: string; path: string; divisionCode: string } | null>;
  getAncestors(code: string): Promise<{ code: string; level: string; path: string }[]>;
  findDepartment(kind: string, divisionCode: string): Promise<{ code: string; name: string; path: string } | null>;
}

/** What applications needs to know about residents, through the identity service. */
export interface ResidentDirectory {
  getResidentSummary(
    accountId: string,
  ): Promise<{ accountId: string; name: string; residentIdMasked: string; homeOrgCode: string | null } | null>;
}

/**
 * What approval produces (a certificate, its ledger leaf, its event), in two steps: `prepare`
 * reads what it needs before the transaction (PGlite has one connection, which the open
 * transaction holds), and the step it returns runs inside the approval's transaction, so that
 * it commits or rolls back with the decision. When that step returns an outcome, the case is
 * completed in the same transaction.
 */
export type ApprovalHook = (approved: {
  caseId: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  form: Record<string, string>;
  reviewerId: string;
}) => Promise<((tx: Tx) => Promise<{ outcome: string }>) | null>;

export interface ApplicationsDeps {
  db: Db;
  catalog: CatalogService;
  orgs: CaseOrgDirectory;
  residents: ResidentDirectory;
  onApproved?: ApprovalHook;
  /** The same for a batch approval: one preparation, one write step for all its cases. */
  onApprovedMany?: BatchApprovalHook;
  /** Told after the commit which cases were decided or completed (life-event bundles move on); must not throw. */
  afterDecided?: (caseIds: readonly string[]) => void;
  /**
   * Single approvals gathered for a moment and decided together through the batch path
   * (approval-groups.ts); on by default when `onApprovedMany` is given, `false` turns it off.
   */
  approvalGroups?: Partial<ApprovalGroupOptions> | false;
  clock?: () => Date;
}

/** The one view of a case: the route's response schema (applications.schemas.ts), also the web's generated CaseView. */
export type CaseView = Static<typeof CaseViewSchema>;
export type CaseDetail = Static<typeof CaseDetailSchema>;

export interface SubmitInput {
  serviceCode: string;
  /** Where the applicant lives (village or community); defaults to the registered home. */
  orgCode?: string;
  form: Record<string, unknown>;
  /** Keep as a draft instead of submitting. */
  draft?: boolean;
}

export interface QueueInput {
  orgCode: string;
  state?: CaseState;
  overdue?: boolean;
  serviceCode?: string;
  after?: string;
  limit?: number;
}

export interface HelperAct {
  caseId: string;
  caseNo: string;
  serviceName: { zh: string; en: string };
  action: string;
  actionLabel: { zh: string; en: string };
  fromState: string | null;
  toState: string;
  /** The helper's account. */
  helperId: string;
  channel: string;
  at: string;
}

export type StaffAction = Exclude<CaseAction, 'submit' | 'resubmit'>;

const HANDLER_ROLES: readonly StaffRole[] = [
  'village_reviewer',
  'department_officer',
  'township_admin',
  'county_admin',
  'city_admin',
  'platform_admin',
];
const VIEWER_ROLES: readonly StaffRole[] = [...HANDLER_ROLES, 'supervisor'];
const REASON_REQUIRED: ReadonlySet<CaseAction> = new Set(['return', 'reject']);
const ROUTE_TTL_MS = 60_000;
const MAX_ROUTES = 100_000;

export function createApplicationsService(deps: ApplicationsDeps) {
  const { db, catalog, orgs, residents } = deps;
  const clock = deps.clock ?? (() => new Date());

  function channelOf(principal: Principal): Channel {
    if (principal.actingFor) return 'helper';
    return principal.sessionChannel === 'kiosk' ? 'kiosk' : 'app';
  }

  /**
   * Where a village's cases of one kind go, remembered for ROUTE_TTL_MS: the org tree is
   * reference data that changes rarely (a division load, a new department), and a case routed
   * by a route a minute old still reaches an org that exists and handles that service. Only
   * successful routes are kept, so a village or department added later is found at once.
   */
  const routes = new Map<string, { org: { code: string; path: string }; at: number }>();

  async function routeCase(item: ServiceItem, applicantId: string, orgCode: string | undefined, principal: Principal) {
    // The session lookup already read the caller's own home; a helper's applicant is looked up.
    const ownHome = principal.kind === 'resident' && principal.accountId === applicantId ? principal.homeOrgCode : undefined;
    const home = orgCode ?? (ownHome !== undefined ? ownHome : (await residents.getResidentSummary(applicantId))?.homeOrgCode) ?? undefined;
    if (!home) {
      throw new AppError('VALIDATION_FAILED', {
        detail: { zh: '请选择居住地所在的村（社区）', en: 'choose the village or community where you live' },
      });
    }
    const key = `${item.handlerLevel}|${item.departmentKind ?? ''}|${home}`;
    const now = performance.now();
    const hit = routes.get(key);
    if (hit && now - hit.at < ROUTE_TTL_MS) return hit.org;
    const org = await resolveRoute(item, home);
    if (routes.size >= MAX_ROUTES) routes.clear();
    routes.set(key, { org, at: now });
    return org;
  }

  async function resolveRoute(item: ServiceItem, home: string): Promise<{ code: string; path: string }> {
    const village = await orgs.getOrg(home);
    if (!village || village.level !== 'village') throw new AppError('INVALID_DIVISION_CODE', { code: home });
    switch (item.handlerLevel) {
      case 'village':
        return { code: village.code, path: village.path };
      case 'township':
      case 'county':
      case 'city': {
        const target = (await orgs.getAncestors(village.code)).find((o) => o.level === item.handlerLevel);
        if (!target) throw new AppError('SERVICE_NOT_AVAILABLE');
        return { code: target.code, path: target.path };
      }
      case 'department': {
        const department = item.departmentKind ? await orgs.findDepartment(item.departmentKind, village.divisionCode) : null;
        if (!department) throw new AppError('SERVICE_NOT_AVAILABLE');
        return { code: department.code, path: department.path };
      }
    }
  }

  function toView(row: repo.CaseRow, item: ServiceItem | null): CaseView {
    const today = chinaDate(clock());
    return {
      id: row.id,
      caseNo: formatCaseNo(row),
      serviceCode: row.serviceCode,
      serviceName: { zh: item?.nameZh ?? row.serviceCode, en: item?.nameEn ?? row.serviceCode },
      state: row.state,
      stateLabel: STATE_LABELS[row.state],
      channel: row.channel,
      orgCode: row.orgCode,
      applicantId: row.applicantId,
      helperId: row.helperId,
      form: row.form,
      submittedAt: row.submittedAt?.toISOString() ?? null,
      dueDate: row.dueDate,
      overdue: row.dueDate !== null && OPEN_STATES.includes(row.state) && row.dueDate < today,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      completedAt: row.completedAt?.toISOString() ?? null,
      returnReason: row.returnReason,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async function view(row: repo.CaseRow): Promise<CaseView> {
    return toView(row, await catalog.getItem(row.serviceCode));
  }

  /** The case if the principal may see it; a case they may not see does not exist for them. */
  async function loadVisible(principal: Principal, id: string, read = repo.findCase): Promise<repo.CaseRow> {
    if (!isUuid(id)) throw notFound('case');
    const row = await read(db, id);
    if (!row || !canView(principal, row)) throw notFound('case');
    return row;
  }

  /**
   * Reads of single cases asked for in the same turn of the event loop, made in one query: the
   * approvals arriving together (each still checks its own access on what it reads).
   */
  let caseReads: { ids: Set<string>; rows: Promise<Map<string, repo.CaseRow>> } | null = null;
  function readCaseTogether(_db: Db | Tx, id: string): Promise<repo.CaseRow | undefined> {
    if (!caseReads) {
      const ids = new Set<string>();
      const rows = new Promise<Map<string, repo.CaseRow>>((resolve, reject) =>
        setImmediate(() => {
          caseReads = null;
          repo.findCasesById(db, [...ids]).then((found) => resolve(new Map(found.map((r) => [r.id, r]))), reject);
        }),
      );
      caseReads = { ids, rows };
    }
    caseReads.ids.add(id);
    return caseReads.rows.then((rows) => rows.get(id));
  }

  function canView(principal: Principal, row: Pick<repo.CaseRow, 'applicantId' | 'orgPath'>): boolean {
    if (principal.kind === 'resident' || principal.actingFor) {
      return residentScopeOrNull(principal, 'applications.view') === row.applicantId;
    }
    return hasRoleFor(principal, VIEWER_ROLES, row.orgPath);
  }

  function event(principal: Principal, caseId: string, action: CaseAction, from: CaseState | null, to: CaseState, reason?: string) {
    return {
      caseId,
      action,
      fromState: from,
      toState: to,
      actorId: principal.accountId,
      onBehalfOf: principal.actingFor?.residentId ?? null,
      channel: channelOf(principal),
      reason: reason ?? null,
    };
  }

  const batchContext: BatchDecideContext = {
    db,
    clock,
    canView,
    canHandle: (p, row) => hasRoleFor(p, HANDLER_ROLES, row.orgPath),
    event,
    ...(deps.onApprovedMany ? { onApprovedMany: deps.onApprovedMany } : {}),
  };

  const approvalGroups =
    deps.onApprovedMany && deps.approvalGroups !== false
      ? createApprovalGroups(
          async (entries) => {
            const results = await decideChecked(batchContext, entries, 'approve');
            const decided = [...results.values()].filter((r) => r.row).map((r) => r.id);
            if (decided.length > 0) deps.afterDecided?.(decided);
            return results;
          },
          { ...DEFAULT_APPROVAL_GROUPS, ...(deps.approvalGroups || {}) },
        )
      : null;

  return {
    async submit(principal: Principal, input: SubmitInput, idempotencyKey?: string): Promise<{ case: CaseView; replayed: boolean }> {
      const applicantId = requireResidentScope(principal, 'applications.submit');
      if (idempotencyKey !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(idempotencyKey)) {
        throw new AppError('IDEMPOTENCY_KEY_INVALID');
      }
      const item = await catalog.requireItem(input.serviceCode);
      const channel = channelOf(principal);
      catalog.assertChannel(item, channel);
      const form = catalog.validateForm(item, input.form, { partial: input.draft === true });
      const org = await routeCase(item, applicantId, input.orgCode, principal);
      const now = clock();
      const requestHash = hashRequest({ ...input, form, onBehalfOf: principal.actingFor?.residentId ?? null });

      // Key claim, case and its two events in one statement: all or nothing (repo.submitCase).
      const row = await repo.submitCase(db, {
        id: randomUUID(),
        serviceCode: item.code,
        applicantId,
        orgCode: org.code,
        orgPath: org.path,
        state: input.draft ? 'draft' : 'submitted',
        channel,
        form,
        helperId: principal.actingFor ? principal.accountId : null,
        submittedAt: input.draft ? null : now,
        dueDate: input.draft ? null : catalog.dueDateFor(item, now).dueDate,
        actorId: principal.accountId,
        onBehalfOf: principal.actingFor?.residentId ?? null,
        idempotency: idempotencyKey === undefined ? null : { principalId: principal.accountId, key: idempotencyKey, requestHash },
      });
      if (row) return { case: toView(row, item), replayed: false };

      if (idempotencyKey === undefined) throw new Error('a submission without an Idempotency-Key inserted nothing');
      // The key was taken (by an earlier request, or a concurrent one that has committed by now).
      const claim = await repo.findIdempotencyKey(db, principal.accountId, idempotencyKey);
      if (!claim) throw new Error('idempotency key vanished after a conflict');
      if (claim.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
      const first = await repo.findCase(db, claim.caseId);
      if (!first) throw new Error('idempotency key points at a missing case');
      return { case: toView(first, item), replayed: true };
    },

    /** The applicant submits a draft, or resubmits a returned case with a corrected form. */
    async applicantAction(
      principal: Principal,
      id: string,
      action: 'submit' | 'resubmit',
      formInput?: Record<string, unknown>,
    ): Promise<CaseView> {
      const applicantId = requireResidentScope(principal, 'applications.submit');
      const visible = await loadVisible(principal, id);
      if (visible.applicantId !== applicantId) throw notFound('case');
      const item = await catalog.requireItem(visible.serviceCode);
      const form = formInput ? catalog.validateForm(item, formInput) : undefined;
      const row = await db.transaction(async (tx) => {
        const current = await repo.lockCase(tx, id);
        if (!current) throw notFound('case');
        const to = nextState(current.state, action);
        if (!to) throw invalidState(current.state, action);
        const now = clock();
        const updated = await repo.updateCase(tx, id, {
          state: to,
          ...(form ? { form } : {}),
          submittedAt: now,
          dueDate: catalog.dueDateFor(item, now).dueDate,
          returnReason: null,
        });
        await repo.insertEvents(tx, [event(principal, id, action, current.state, to)]);
        return updated;
      });
      return toView(row, item);
    },

    /** A handler moves the case on: accept, review, return, approve, reject, complete. */
    async act(principal: Principal, id: string, action: StaffAction, reason?: string): Promise<CaseView> {
      if (principal.kind !== 'staff' || principal.actingFor) throw notFound('case');
      const visible = await loadVisible(principal, id, action === 'approve' && approvalGroups ? readCaseTogether : repo.findCase);
      if (!hasRoleFor(principal, HANDLER_ROLES, visible.orgPath)) throw new AppError('FORBIDDEN');
      if (APPLICANT_ACTIONS.has(action)) throw new AppError('FORBIDDEN');
      const trimmed = reason?.trim();
      if (REASON_REQUIRED.has(action) && !trimmed) {
        throw new AppError('VALIDATION_FAILED', { detail: { zh: '请填写理由', en: 'a reason is required' } });
      }
      if (action === 'approve' && approvalGroups) {
        if (!nextState(visible.state, action)) throw decidedOrInvalid(visible.state, action);
        const result = await approvalGroups.decide({ principal, row: visible, ...(trimmed ? { reason: trimmed } : {}) });
        if (result.row) return view(result.row);
        throw result.error ?? new Error(`case ${id}: approval gave no result`);
      }
      const produce =
        action === 'approve' && deps.onApproved
          ? await deps.onApproved({
              caseId: id,
              serviceCode: visible.serviceCode,
              applicantId: visible.applicantId,
              orgCode: visible.orgCode,
              form: visible.form,
              reviewerId: principal.accountId,
            })
          : null;
      const row = await db.transaction(async (tx) => {
        const current = await repo.lockCase(tx, id);
        if (!current) throw notFound('case');
        const to = nextState(current.state, action);
        if (to && produce && current.version !== visible.version) {
          // The case changed between reading it and locking it (a resubmitted form): decide on what is there now.
          throw new AppError('CONFLICT', { detail: { zh: '办件已更新，请刷新后重试', en: 'the case has changed; reload and try again' } });
        }
        if (!to) throw decidedOrInvalid(current.state, action);
        const now = clock();
        if (action === 'approve' || action === 'reject') {
          const decided = await repo.insertDecision(tx, {
            caseId: id,
            decision: to as 'approved' | 'rejected',
            decidedBy: principal.accountId,
            reason: trimmed ?? null,
          });
          if (!decided) throw new AppError('ALREADY_DECIDED');
        }
        const updated = await repo.updateCase(tx, id, {
          state: to,
          ...(action === 'approve' || action === 'reject' ? { decidedAt: now } : {}),
          ...(action === 'complete' ? { completedAt: now } : {}),
          ...(action === 'return' ? { returnReason: trimmed ?? null } : {}),
        });
        await repo.insertEvents(tx, [event(principal, id, action, current.state, to, trimmed)]);
        if (action === 'approve' && produce) {
          const produced = await produce(tx);
          const completed = await repo.updateCase(tx, id, { state: 'completed', completedAt: now });
          await repo.insertEvents(tx, [event(principal, id, 'complete', 'approved', 'completed', produced.outcome)]);
          return completed;
        }
        return updated;
      });
      if (action === 'approve' || action === 'reject' || action === 'complete') deps.afterDecided?.([id]);
      return view(row);
    },

    /** Groups of single approvals decided so far, and the approvals in them (benchmarks). */
    approvalGroupStats(): { groups: number; decided: number } | null {
      return approvalGroups?.stats() ?? null;
    },

    /**
     * Approves or rejects many cases at once, in one transaction: a result per case (approved,
     * rejected, conflict, not found, forbidden, failed). A case the caller may not see is not
     * found; one they may see but not decide is forbidden.
     */
    async decideMany(principal: Principal, input: BatchDecideInput): Promise<BatchDecisionResult[]> {
      const results = await decideMany(batchContext, principal, input);
      const decided = results.filter((r) => r.state === 'approved' || r.state === 'rejected' || r.state === 'completed').map((r) => r.id);
      if (decided.length > 0) deps.afterDecided?.(decided);
      return results;
    },

    /** The case's org and applicant, if the principal may see it (a 404 otherwise): one read, for other modules' access checks. */
    async getCaseRef(principal: Principal, id: string): Promise<{ id: string; orgCode: string; orgPath: string; applicantId: string }> {
      const row = isUuid(id) ? await repo.findCaseRef(db, id) : undefined;
      if (!row || !canView(principal, row)) throw notFound('case');
      return row;
    },

    async getCase(principal: Principal, id: string): Promise<CaseDetail> {
      const row = await loadVisible(principal, id);
      const [base, org, applicant, events] = await Promise.all([
        view(row),
        orgs.getOrg(row.orgCode),
        residents.getResidentSummary(row.applicantId),
        repo.listEvents(db, id),
      ]);
      return {
        ...base,
        orgName: org?.name ?? row.orgCode,
        applicant: applicant ? { name: applicant.name, residentIdMasked: applicant.residentIdMasked } : null,
        events: events.map((e) => ({
          action: e.action,
          fromState: e.fromState,
          toState: e.toState,
          actorId: e.actorId,
          onBehalfOf: e.onBehalfOf,
          channel: e.channel,
          reason: e.reason,
          at: e.at.toISOString(),
        })),
      };
    },

    async listMine(principal: Principal, page: { after?: string; limit?: number }): Promise<{ items: CaseView[]; next: string | null }> {
      const applicantId = requireResidentScope(principal, 'applications.view');
      const limit = page.limit ?? 20;
      const beforeSeq = page.after ? Number(decodeCursor(page.after, 1)[0]) : undefined;
      const rows = await repo.queryApplicantCases(db, { applicantId, beforeSeq, limit });
      const items = await Promise.all(rows.map(view));
      const last = rows.at(-1);
      return { items, next: rows.length === limit && last ? encodeCursor([last.seq]) : null };
    },

    /** A staff queue for one org, or its subtree for administrators, by due date. */
    async queue(principal: Principal, input: QueueInput): Promise<{ items: CaseView[]; next: string | null }> {
      if (principal.kind !== 'staff') throw new AppError('FORBIDDEN');
      const org = await orgs.getOrg(input.orgCode);
      const grants = org ? principal.roles.filter((g) => VIEWER_ROLES.includes(g.role) && roleCovers(g, org.path)) : [];
      if (!org || grants.length === 0) throw notFound('org');
      const limit = input.limit ?? 50;
      // Administrators and supervisors see the whole subtree; reviewers and officers their own node.
      const subtree = grants.some((g) => isAdminRole(g.role)) && org.level !== 'village' && org.level !== 'department';
      const after = input.after ? decodeCursor(input.after, 2) : undefined;
      const rows = await repo.queryQueue(db, {
        ...(subtree ? { subtree: { depth: org.path.split('.').length - 1, code: org.code, path: org.path } } : { orgCode: org.code }),
        ...(input.state ? { state: input.state } : {}),
        ...(input.serviceCode ? { serviceCode: input.serviceCode } : {}),
        ...(input.overdue ? { dueBefore: chinaDate(clock()) } : {}),
        ...(after ? { after: { dueDate: String(after[0]), id: String(after[1]) } } : {}),
        limit,
      });
      const items = await Promise.all(rows.map(view));
      const last = rows.at(-1);
      return { items, next: rows.length === limit && last ? encodeCursor([last.dueDate ?? '', last.id]) : null };
    },
    /** 代办记录: what helpers did on the resident's cases on their behalf; the resident themself only. */
    async listHelperActs(principal: Principal, input: { limit?: number } = {}): Promise<HelperAct[]> {
      if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
      const rows = await repo.listHelperActs(db, principal.accountId, Math.min(Math.max(input.limit ?? 100, 1), 200));
      const items = new Map<string, Promise<ServiceItem | null>>();
      const itemOf = (code: string) => items.get(code) ?? items.set(code, catalog.getItem(code)).get(code)!;
      return Promise.all(
        rows.map(async (r): Promise<HelperAct> => {
          const item = await itemOf(r.serviceCode);
          return {
            caseId: r.caseId,
            caseNo: formatCaseNo(r),
            serviceName: { zh: item?.nameZh ?? r.serviceCode, en: item?.nameEn ?? r.serviceCode },
            action: r.action,
            actionLabel: ACTION_LABELS[r.action as CaseAction] ?? { zh: r.action, en: r.action },
            fromState: r.fromState,
            toState: r.toState,
            helperId: r.actorId,
            channel: r.channel,
            at: r.at.toISOString(),
          };
        }),
      );
    },
  };

  function residentScopeOrNull(principal: Principal, scope: 'applications.view'): string | null {
    try {
      return requireResidentScope(principal, scope);
    } catch {
      return null;
    }
  }
}

export type ApplicationsService = ReturnType<typeof createApplicationsService>;

/** Why `action` cannot happen in `state`: a decision already taken, or a state it does not apply to. */
function decidedOrInvalid(state: CaseState, action: CaseAction): AppError {
  if ((action === 'approve' || action === 'reject') && (state === 'approved' || state === 'rejected' || state === 'completed')) {
    return new AppError('ALREADY_DECIDED');
  }
  return invalidState(state, action);
}

function invalidState(state: CaseState, action: CaseAction): AppError {
  return new AppError('INVALID_STATE', { state: STATE_LABELS[state], action: ACTION_LABELS[action] });
}

/** 办件编号: `YB` and the case's sequence number, zero-padded. */
export function formatCaseNo(row: { seq: number }): string {
  return `YB${String(row.seq).padStart(10, '0')}`;
}

function hashRequest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
