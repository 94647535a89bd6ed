import { maskResidentId, parseResidentId, systemPrincipal } from '../identity/index.ts';
import type { EventHandler } from '../events/index.ts';
import { DEATH_REGISTRATION } from './benefit-defs.ts';
import type { BenefitsContext } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import type { BenefitRow } from './benefits.repository.ts';
import { createAssessMany, mapLimited, newBatchMemo } from './assess-many.ts';
import { newMemo, type Engine } from './engine.ts';

const CATALOGUE_TTL_MS = 30_000;

/**
 * The benefits' event handlers: a certificate issued to a resident assesses them for the benefits
 * it triggers (a birth medical certificate: maternity; a newborn's registration: the childcare
 * subsidy); a payment due goes to the bank; an approved death registration stops every payment.
 */
export function createTriggers(ctx: BenefitsContext, engine: Engine) {
  const { db, deps, clock } = ctx;
  const assessMany = createAssessMany(ctx, engine);
  let cached: { rows: BenefitRow[]; at: number } | null = null;

  /** The benefits, active ones only unless `all`, reread every CATALOGUE_TTL_MS. */
  async function catalogue(all = false): Promise<BenefitRow[]> {
    const now = performance.now();
    if (!cached || now - cached.at > CATALOGUE_TTL_MS) cached = { rows: await repo.allBenefits(db), at: now };
    return all ? cached.rows : cached.rows.filter((b) => b.active);
  }

  const onCertificate: EventHandler = {
    name: 'benefits.assess',
    topics: ['certificate.issued'],
    /** A batch of certificates: each benefit assesses all their holders at once (assess-many.ts). */
    async handleMany(events) {
      const benefits = await catalogue();
      const triggering = events.filter(
        (e) =>
          typeof e.payload.type === 'string' &&
          typeof e.payload.holderId === 'string' &&
          benefits.some((b) => b.trigger.kind === 'certificate' && b.trigger.certificateType === e.payload.type),
      );
      if (triggering.length === 0) return;
      const holders = await deps.residents.revealHolders([...new Set(triggering.map((e) => e.payload.holderId as string))]);
      const items = triggering.flatMap((e) => {
        const accountId = e.payload.holderId as string;
        const holder = holders.get(accountId);
        if (!holder) return [];
        const subject = { subjectKey: deps.subjectKeyOf(holder.residentId), accountId, residentId: holder.residentId };
        return [{ type: e.payload.type as string, subject, trigger: { eventId: e.id, at: e.createdAt } }];
      });
      await repo.rememberSubjects(
        db,
        items.map((i) => ({ subjectKey: i.subject.subjectKey, accountId: i.subject.accountId })),
        clock(),
      );
      const memo = newBatchMemo();
      for (const benefit of benefits) {
        const mine = items.filter((i) => benefit.trigger.kind === 'certificate' && benefit.trigger.certificateType === i.type);
        const grants = await assessMany(benefit, mine, memo);
        // 免申即办: the cases opened and approved a few at a time, their payments sent together.
        const scheduled = await mapLimited(grants, 4, (g) => engine.complete(benefit, g, { defer: true }));
        await engine.sendMany(
          benefit,
          scheduled.filter((s): s is NonNullable<typeof s> => s !== null),
        );
      }
    },
    async handle(event) {
      const { type, holderId } = event.payload;
      if (typeof type !== 'string' || typeof holderId !== 'string') return;
      const triggered = (await catalogue()).filter((b) => b.trigger.kind === 'certificate' && b.trigger.certificateType === type);
      if (triggered.length === 0) return;
      const residentId = await deps.residents.revealResidentId(holderId);
      if (!residentId) return;
      const subject = { subjectKey: deps.subjectKeyOf(residentId), accountId: holderId, residentId };
      await repo.rememberSubject(db, subject.subjectKey, holderId, clock());
      const memo = newMemo();
      for (const benefit of triggered) {
        const grant = await engine.assess(benefit, subject, { eventId: event.id, at: event.createdAt }, memo);
        if (grant) await engine.complete(benefit, grant);
      }
    },
  };

  /** A due payment, unless sent already (most are: sent right after their commit): one read then. */
  async function payById(paymentId: string): Promise<void> {
    const payment = await repo.findPayment(db, paymentId);
    if (!payment || payment.status !== 'pending') return;
    const grant = await repo.findGrant(db, payment.grantId);
    const benefit = grant ? (await catalogue(true)).find((b) => b.code === grant.benefitCode) : undefined;
    if (grant && benefit) await engine.send(benefit, grant, payment);
  }

  const onPaymentDue: EventHandler = {
    name: 'benefits.pay',
    topics: ['benefit.payment_due'],
    async handle(event) {
      const { paymentId } = event.payload;
      if (typeof paymentId === 'string') await payById(paymentId);
    },
  };

  const onDeath: EventHandler = {
    name: 'benefits.stop-at-death',
    topics: ['case.decided'],
    async handle(event) {
      const { caseId, serviceCode, orgCode, state } = event.payload;
      if (serviceCode !== DEATH_REGISTRATION || state !== 'approved' || typeof caseId !== 'string' || typeof orgCode !== 'string') return;
      const org = await deps.orgs.byCode(orgCode);
      if (!org) return;
      const reader = systemPrincipal({ actor: 'benefits:death', at: { orgCode: org.code, orgPath: org.path, actions: ['case.view'] } });
      const kase = await deps.applications.getCase(reader, caseId);
      const id = String(kase.form.deceasedResidentId ?? '').toUpperCase();
      if (!parseResidentId(id).ok) return;
      await stopAll(deps.subjectKeyOf(id), `death:${caseId}`);
    },
  };

  const onRegistered: EventHandler = {
    name: 'benefits.know-resident',
    topics: ['resident.registered'],
    async handle(event) {
      const { accountId } = event.payload;
      if (typeof accountId !== 'string') return;
      const residentId = await deps.residents.revealResidentId(accountId);
      if (!residentId) return;
      const subjectKey = deps.subjectKeyOf(residentId);
      const benefits = await catalogue(true);
      // Grants a sweep made before they had an account: theirs now; told, and their held payments sent.
      const { payments } = await db.transaction(async (tx) => {
        await repo.rememberSubject(tx, subjectKey, accountId, clock());
        const attached = await repo.attachAccount(tx, subjectKey, accountId, maskResidentId(residentId));
        for (const grant of attached.grants) {
          const benefit = benefits.find((b) => b.code === grant.benefitCode);
          if (benefit) await engine.notice(tx, benefit, grant, grant.status);
        }
        for (const paymentId of attached.payments) await deps.events.enqueue(tx, { topic: 'benefit.payment_due', payload: { paymentId } });
        return attached;
      });
      for (const paymentId of payments) await payById(paymentId).catch(() => undefined);
    },
  };

  /** Stops every live grant of the subject and cancels what has not been paid, with a leaf each. */
  async function stopAll(subjectKey: string, reason: string): Promise<number> {
    return db.transaction(async (tx) => {
      const live = await repo.liveGrantsOfSubject(tx, subjectKey);
      const now = clock();
      for (const grant of live) {
        await repo.updateGrant(tx, grant.id, { status: 'stopped', stoppedAt: now, stopReason: reason });
        await engine.leaf(tx, {
          event: 'stopped',
          benefit: grant.benefitCode,
          grant: grant.id,
          reason: reason.split(':')[0],
          at: now.toISOString(),
        });
      }
      await repo.cancelPending(
        tx,
        live.map((g) => g.id),
      );
      return live.length;
    });
  }

  return { handlers: [onCertificate, onPaymentDue, onDeath, onRegistered], stopAll, catalogue };
}
