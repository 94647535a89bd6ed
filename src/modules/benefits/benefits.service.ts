import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { message } from '../../core/messages.ts';
import { can, requireResidentScope, type Principal } from '../identity/index.ts';
import { createBenefitsContext, type BenefitsDeps } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import type { BenefitRow, GrantRow } from './benefits.repository.ts';
import type { BenefitFigures, BenefitGrantView } from './benefits.schemas.ts';
import type { BenefitGrantStatus } from './benefits.tables.ts';
import { createEngine } from './engine.ts';
import { createSchedule } from './schedule.ts';
import { createTriggers } from './triggers.ts';
import { createViews } from './views.ts';

export type BenefitsService = ReturnType<typeof createBenefitsService>;

/**
 * 免申即享 / 免申即办: benefits that find the resident. The engine (engine.ts) assesses people when
 * a certificate is issued to them or a date comes (triggers.ts, schedule.ts), grants, opens the
 * department's case or offers, tells them, and pays once per grant and period; the resident sees
 * each decision with its amount, basis and why, and confirms, declines, opts out or asks a person
 * to review; the paying department sees its grants and figures, take-up above all.
 */
export function createBenefitsService(deps: BenefitsDeps) {
  const ctx = createBenefitsContext(deps);
  const { db, clock } = ctx;
  const engine = createEngine(ctx);
  const triggers = createTriggers(ctx, engine);
  const schedule = createSchedule(ctx, engine);
  const toView = createViews(ctx);

  async function benefitOf(code: string): Promise<BenefitRow> {
    const benefit = (await repo.allBenefits(db)).find((b) => b.code === code);
    if (!benefit) throw notFound('benefit');
    return benefit;
  }

  /** The caller's own decision, locked in the transaction; 404 for anyone else's (no existence leak). */
  async function ownGrant(principal: Principal, id: string): Promise<{ accountId: string; subjectKey: string | null; grant: GrantRow }> {
    const accountId = requireResidentScope(principal, 'applications.view');
    const residentId = await deps.residents.revealResidentId(accountId);
    const subjectKey = residentId ? deps.subjectKeyOf(residentId) : null;
    const grant = await repo.findGrant(db, id);
    if (!grant || (grant.accountId !== accountId && grant.subjectKey !== subjectKey)) throw notFound('benefit');
    return { accountId, subjectKey, grant };
  }

  async function viewOne(grantId: string): Promise<BenefitGrantView> {
    const grant = (await repo.findGrant(db, grantId))!;
    return toView(await benefitOf(grant.benefitCode), grant, await repo.paymentsOfGrants(db, [grant.id]));
  }

  /** The orgs' benefits the caller may see (benefit.view at the payer). */
  async function visibleBenefits(principal: Principal, code?: string): Promise<BenefitRow[]> {
    const out: BenefitRow[] = [];
    for (const b of await repo.allBenefits(db)) {
      if (code && b.code !== code) continue;
      const org = await deps.orgs.byCode(b.payerOrgCode);
      if (org && can(principal, 'benefit.view', { orgPath: org.path })) out.push(b);
    }
    return out;
  }

  /** A resident's change of a decision, with its leaf, in one transaction; the payments it starts or cancels. */
  async function respond(
    principal: Principal,
    id: string,
    change: (grant: GrantRow, benefit: BenefitRow, paid: boolean) => { status: BenefitGrantStatus; pay: boolean } | AppError,
  ): Promise<BenefitGrantView> {
    const { grant: seen } = await ownGrant(principal, id);
    const benefit = await benefitOf(seen.benefitCode);
    const paymentId = await db.transaction(async (tx) => {
      const grant = (await repo.lockGrant(tx, id))!;
      const payments = await repo.paymentsOfGrants(tx, [id]);
      const next = change(
        grant,
        benefit,
        payments.some((p) => p.status === 'sent'),
      );
      if (next instanceof AppError) throw next;
      const now = clock();
      await repo.updateGrant(tx, id, {
        status: next.status,
        respondedAt: now,
        ...(next.status === 'opted_out' ? { stoppedAt: now, stopReason: 'opt_out' } : {}),
      });
      await engine.leaf(tx, { event: next.status, benefit: benefit.code, grant: id, at: now.toISOString() });
      if (next.pay) return engine.schedulePayment(tx, benefit, { ...grant, status: next.status });
      await repo.cancelPending(tx, [id]);
      return null;
    });
    await engine.payNow(benefit, paymentId);
    return viewOne(id);
  }

  return {
    /** The outbox handlers: assessments on certificates, payments to the bank, stops at a death registration. */
    handlers: triggers.handlers,
    /** The daily run: date-triggered sweeps and recurring payments. */
    runDue: schedule.runDue,
    /** Runs `runDue` soon after start and then every `intervalMs` (hourly in `yiban serve`); the returned function stops it after the current run. */
    startSchedule: schedule.start,

    /** The benefit catalogue (no personal data). */
    async catalogue() {
      return (await repo.allBenefits(db)).map((b) => ({
        code: b.code,
        nameZh: b.nameZh,
        nameEn: b.nameEn,
        mode: b.mode,
        trigger: b.trigger,
        ruleCode: b.ruleCode,
        payerOrgCode: b.payerOrgCode,
        schedule: b.schedule,
      }));
    },

    /** The resident's benefits: granted, offered, stopped and refused (with why), newest first. */
    async mine(principal: Principal): Promise<BenefitGrantView[]> {
      const accountId = requireResidentScope(principal, 'applications.view');
      const residentId = await deps.residents.revealResidentId(accountId);
      const grants = await repo.grantsOfResident(db, accountId, residentId ? deps.subjectKeyOf(residentId) : null);
      const payments = await repo.paymentsOfGrants(
        db,
        grants.map((g) => g.id),
      );
      const benefits = new Map((await repo.allBenefits(db)).map((b) => [b.code, b]));
      return Promise.all(grants.map((g) => toView(benefits.get(g.benefitCode)!, g, payments)));
    },

    async getMine(principal: Principal, id: string): Promise<BenefitGrantView> {
      await ownGrant(principal, id);
      return viewOne(id);
    },

    /** confirm mode: the resident says yes once; the payment follows. */
    confirm: (principal: Principal, id: string) =>
      respond(principal, id, (grant) =>
        grant.status === 'offered'
          ? { status: 'granted', pay: true }
          : new AppError('CONFLICT', { detail: message('benefits.notOffered') }),
      ),

    /** Declines an offer, or a one-off grant not yet paid; nothing is paid. */
    decline: (principal: Principal, id: string) =>
      respond(principal, id, (grant, benefit, paid) => {
        const open = grant.status === 'offered' || (grant.status === 'granted' && benefit.schedule === 'once' && !paid);
        return open ? { status: 'declined', pay: false } : new AppError('CONFLICT', { detail: message('benefits.notDeclinable') });
      }),

    /** Opts out of a benefit: its live grants stop, and it is not granted again until taken back. */
    async optOut(principal: Principal, benefitCode: string): Promise<BenefitGrantView[]> {
      const accountId = requireResidentScope(principal, 'applications.view');
      const benefit = await benefitOf(benefitCode);
      const residentId = await deps.residents.revealResidentId(accountId);
      if (!residentId) throw notFound('resident');
      const subjectKey = deps.subjectKeyOf(residentId);
      await db.transaction(async (tx) => {
        const now = clock();
        await repo.insertOptOut(tx, subjectKey, benefit.code, now);
        for (const grant of await repo.grantsOfResident(tx, accountId, subjectKey)) {
          if (grant.benefitCode !== benefit.code || (grant.status !== 'granted' && grant.status !== 'offered')) continue;
          await repo.updateGrant(tx, grant.id, { status: 'opted_out', respondedAt: now, stoppedAt: now, stopReason: 'opt_out' });
          await repo.cancelPending(tx, [grant.id]);
          await engine.leaf(tx, { event: 'opted_out', benefit: benefit.code, grant: grant.id, at: now.toISOString() });
        }
      });
      return (await this.mine(principal)).filter((g) => g.benefitCode === benefit.code);
    },

    /** Asks a person to review a refusal: a case at the paying department, in the resident's name. */
    async requestReview(principal: Principal, id: string, reason: string): Promise<BenefitGrantView> {
      const { grant } = await ownGrant(principal, id);
      if (grant.status !== 'refused') throw new AppError('CONFLICT', { detail: message('benefits.notReviewable') });
      if (grant.reviewCaseId) throw new AppError('CONFLICT', { detail: message('benefits.reviewPending') });
      const benefit = await benefitOf(grant.benefitCode);
      const { case: kase } = await deps.applications.submit(
        principal,
        { serviceCode: benefit.reviewServiceCode, form: { benefitCode: benefit.code, decisionId: grant.id, reason } },
        `review-${grant.id}`,
      );
      await db.transaction(async (tx) => {
        const current = (await repo.lockGrant(tx, id))!;
        if (current.reviewCaseId) return;
        await repo.updateGrant(tx, id, { reviewCaseId: kase.id });
        await engine.leaf(tx, { event: 'review_requested', benefit: benefit.code, grant: id, at: clock().toISOString() });
      });
      return viewOne(id);
    },

    /** Staff of the paying department: its decisions, newest first (payees masked). */
    async listGrants(
      principal: Principal,
      query: { benefitCode?: string; status?: BenefitGrantStatus; cursor?: string; limit?: number },
    ): Promise<{ items: BenefitGrantView[]; next: string | null }> {
      const visible = await visibleBenefits(principal, query.benefitCode);
      if (visible.length === 0) return { items: [], next: null };
      const limit = query.limit ?? 50;
      const before = query.cursor
        ? (([at, id]) => ({ at: new Date(String(at)), id: String(id) }))(decodeCursor(query.cursor, 2))
        : undefined;
      const rows = await repo.grantsPage(db, { benefitCodes: visible.map((b) => b.code), status: query.status, before, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const payments = await repo.paymentsOfGrants(
        db,
        page.map((g) => g.id),
      );
      const byCode = new Map(visible.map((b) => [b.code, b]));
      const items = await Promise.all(page.map((g) => toView(byCode.get(g.benefitCode)!, g, payments)));
      const last = page.at(-1);
      return { items, next: rows.length > limit && last ? encodeCursor([last.decidedAt.toISOString(), last.id]) : null };
    },

    /** Figures per benefit: decisions, grants, amounts, opt-outs, time from trigger to payment, and take-up. */
    async figures(principal: Principal, benefitCode?: string): Promise<BenefitFigures[]> {
      const visible = await visibleBenefits(principal, benefitCode);
      const codes = visible.map((b) => b.code);
      const counts = await repo.countsByStatus(db, codes);
      const pay = await repo.paymentFigures(db, codes);
      return visible.map((b) => {
        const of = (status: BenefitGrantStatus) => counts.filter((c) => c.benefitCode === b.code && c.status === status);
        const n = (status: BenefitGrantStatus) => of(status).reduce((s, c) => s + c.count, 0);
        const eligible = counts.filter((c) => c.benefitCode === b.code && c.outcome === 'eligible').reduce((s, c) => s + c.count, 0);
        const decided = counts.filter((c) => c.benefitCode === b.code).reduce((s, c) => s + c.count, 0);
        // Stopped grants were granted (and paid until they stopped): they count as taken up.
        const granted = n('granted') + n('stopped');
        const p = pay.find((x) => x.benefitCode === b.code);
        return {
          benefitCode: b.code,
          nameZh: b.nameZh,
          nameEn: b.nameEn,
          mode: b.mode,
          payerOrgCode: b.payerOrgCode,
          decided,
          eligible,
          granted,
          offered: n('offered'),
          declined: n('declined'),
          optedOut: n('opted_out'),
          refused: n('refused'),
          stopped: n('stopped'),
          grantedFen: [...of('granted'), ...of('stopped')].reduce((s, c) => s + c.amountFen, 0),
          paymentsSent: p?.sent ?? 0,
          paidFen: p?.sentFen ?? 0,
          paymentsPending: p?.pending ?? 0,
          paymentsCancelled: p?.cancelled ?? 0,
          triggerToPaymentSeconds: { p50: p?.p50 ?? null, p90: p?.p90 ?? null, max: p?.max ?? null },
          takeUp: eligible === 0 ? null : granted / eligible,
        };
      });
    },
  };
}
