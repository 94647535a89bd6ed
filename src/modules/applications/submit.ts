import { createHash, randomUUID } from 'node:crypto';
import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { ServiceItem } from '../catalog/index.ts';
import { onBehalfOf, requireResidentScope, type Principal } from '../identity/index.ts';
import * as repo from './applications.repository.ts';
import { caseSubmitted } from './case-decided.ts';
import { nextState } from './case-state.ts';
import { resumeClock } from './sla-clock.ts';
import { invalidState, type ApplicationsContext, type CaseView } from './context.ts';

export interface SubmitInput {
  serviceCode: string;
  /** Where the applicant lives (village or community); defaults to the registered home. */
  orgCode?: string;
  form: Record<string, unknown>;
  /** Keep as a draft instead of submitting. */
  draft?: boolean;
}

const ROUTE_TTL_MS = 60_000;
const MAX_ROUTES = 100_000;

/** A resident applies: a new case (or draft), a draft submitted, a returned case resubmitted. */
export function createSubmitFunctions(ctx: ApplicationsContext) {
  const { db, catalog, orgs, residents, clock, channelOf, toView, loadVisible, event } = ctx;

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
        detail: message('applications.chooseVillage'),
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
      const requestHash = hashRequest({ ...input, form, onBehalfOf: onBehalfOf(principal) });

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
        onBehalfOf: onBehalfOf(principal),
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
        const dueFromNow = () => catalog.dueDateFor(item, now).dueDate;
        const updated = await repo.updateCase(tx, id, {
          state: to,
          ...(form ? { form } : {}),
          submittedAt: now,
          // A draft's clock starts now; a returned case's resumes where it paused (sla-clock.ts).
          ...(action === 'resubmit' ? resumeClock(current, now, dueFromNow) : { slaStartedAt: now, dueDate: dueFromNow() }),
          returnReason: null,
        });
        await repo.insertEvents(tx, [event(principal, id, action, current.state, to)]);
        await ctx.deps.events.enqueueMany(tx, [caseSubmitted(updated)]);
        return updated;
      });
      return toView(row, item);
    },
  };
}

function hashRequest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
