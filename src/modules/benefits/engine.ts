import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { maskResidentId, systemPrincipal, type Principal } from '../identity/index.ts';
import { recordsOf, ruleDataProblems } from '../sharing/index.ts';
import type { BenefitsContext } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import type { BenefitRow, GrantRow } from './benefits.repository.ts';
import type { RuleDecision, SubjectRecords } from '../rules/index.ts';
import type { BenefitSchedule, BenefitGrantStatus, GrantTrace } from './benefits.tables.ts';

export const BENEFIT_LEAF = 'benefit.decision';

/** What one trigger's assessments share: each dataset's record of the subject, read once, and their opt-outs. */
export interface Memo {
  records: Map<string, Record<string, string> | undefined>;
  optOuts: Set<string> | null;
}

export const newMemo = (): Memo => ({ records: new Map(), optOuts: null });

/**
 * A decision as stored and as its ledger leaf says it (digests and codes only): the status from
 * the rule's outcome, the mode and the subject's opt-outs; the instance from the input that tells
 * one grant from the next (a birth's certificate number).
 */
export function decisionOf(
  benefit: BenefitRow,
  subject: Subject,
  decision: RuleDecision,
  records: SubjectRecords,
  unavailable: GrantTrace['unavailable'],
  optOuts: ReadonlySet<string>,
  trigger: { eventId: number | null; at: Date },
  now: Date,
) {
  const ref = benefit.instanceInput ? decision.trace.inputs.find((i) => i.name === benefit.instanceInput) : undefined;
  const instance = ref ? (records[ref.dataset]?.[ref.field] ?? '') : '';
  const eligible = decision.outcome === 'eligible';
  const optedOut = eligible && optOuts.has(benefit.code);
  const status: BenefitGrantStatus = !eligible ? 'refused' : optedOut ? 'opted_out' : benefit.mode === 'confirm' ? 'offered' : 'granted';
  const trace: GrantTrace = { ...decision.trace, unavailable };
  const amountFen = eligible ? decision.amountFen : null;
  const leafFields = {
    event: 'decided',
    benefit: benefit.code,
    rule: trace.rule,
    version: trace.version,
    hash: trace.hash,
    subject: digest(subject.subjectKey),
    instance: instance ? digest(instance) : null,
    outcome: decision.outcome,
    status,
    amountFen,
    at: now.toISOString(),
  };
  const row = {
    benefitCode: benefit.code,
    subjectKey: subject.subjectKey,
    instance,
    accountId: subject.accountId,
    payeeMasked: subject.residentId ? maskResidentId(subject.residentId) : '—',
    status,
    outcome: decision.outcome,
    amountFen,
    ruleVersion: trace.version,
    ruleHash: trace.hash,
    trace,
    triggerEventId: trigger.eventId,
    triggeredAt: trigger.at,
    decidedAt: now,
  };
  return { row, leafFields, status };
}

/** A payment just scheduled, with its grant: sent at once after the commit, with no second read. */
export interface Scheduled {
  grant: GrantRow;
  payment: { id: string; period: string; amountFen: number };
}

/** Who an assessment is about: the keyed subject, and the resident's account when there is one. */
export interface Subject {
  subjectKey: string;
  accountId: string | null;
  residentId: string | null;
}

/** The period a payment covers, for a schedule, on a date. */
export function periodOf(schedule: BenefitSchedule, at: Date): string {
  const day = chinaDate(at);
  return schedule === 'once' ? 'once' : schedule === 'monthly' ? day.slice(0, 7) : day.slice(0, 4);
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

const yuan = (fen: number) => (fen / 100).toFixed(2);

/**
 * The engine of benefits with no application: assess a person for a benefit with its rule in
 * force (reading under the payer's law-based grants), store the decision with its trace and a
 * ledger leaf, tell the resident, open and complete the department's case (免申即办), and pay once
 * per grant and period through the bank, whatever the retries.
 */
export function createEngine(ctx: BenefitsContext) {
  const { db, deps, clock } = ctx;

  async function payerActor(benefit: BenefitRow, actions: readonly ('case.view' | 'case.handle' | 'payment.send')[]): Promise<Principal> {
    const org = await deps.orgs.byCode(benefit.payerOrgCode);
    if (!org) throw new AppError('INTERNAL', { detail: message('benefits.payerMissing', { code: benefit.payerOrgCode }) });
    return systemPrincipal({ actor: `benefit:${benefit.code}`, at: { orgCode: org.code, orgPath: org.path, actions } });
  }

  /** The rule's inputs of the subject, read under the payer's grants for the rule's purpose; what could not be read, with why. */
  async function readInputs(
    benefit: BenefitRow,
    subjectKey: string,
    inputs: { purpose: string; needs: Map<string, string[]> },
    memo: Memo,
  ) {
    const problems = await ruleDataProblems(db, {
      consumerOrgCode: benefit.payerOrgCode,
      purpose: inputs.purpose,
      needs: inputs.needs,
      at: clock(),
    });
    const records: Record<string, Record<string, string> | undefined> = {};
    const unavailable: GrantTrace['unavailable'] = [];
    const wanted = [...inputs.needs.keys()].filter((d) => !problems.some((p) => p.dataset === d));
    // One read of each dataset per trigger: the benefits a trigger assesses share their data.
    const unread = wanted.filter((d) => !memo.records.has(d));
    const read = await Promise.all(unread.map((d) => recordsOf(db, d, [subjectKey])));
    unread.forEach((d, i) => memo.records.set(d, read[i]!.get(subjectKey)));
    for (const dataset of inputs.needs.keys()) {
      const problem = problems.find((p) => p.dataset === dataset);
      if (problem) unavailable.push({ dataset, reason: message(`rules.data.${problem.problem}`) });
      else records[dataset] = memo.records.get(dataset);
    }
    return { records, unavailable };
  }

  /** The payee's ID number and name, from their account (the grant's, or the one the subject is known by); null when they have none yet. */
  async function payeeOf(grant: Pick<GrantRow, 'accountId' | 'subjectKey'>): Promise<{ residentId: string; name: string } | null> {
    const accountId = grant.accountId ?? (await repo.accountsOfSubjects(db, [grant.subjectKey])).get(grant.subjectKey) ?? null;
    if (!accountId) return null;
    // One query for both: the name and the clear ID number (the bank pays by it).
    const holder = (await deps.residents.revealHolders([accountId])).get(accountId);
    return holder ? { residentId: holder.residentId, name: holder.name } : null;
  }

  /**
   * Schedules the grant's payment for the current period (once: its only one) in the caller's
   * transaction, with its `benefit.payment_due` event: the guarantee that it is sent. The new
   * payment's id, for `payNow` once the transaction has committed.
   */
  async function schedulePayment(tx: Executor, benefit: BenefitRow, grant: GrantRow): Promise<Scheduled | null> {
    if (grant.amountFen === null || grant.amountFen <= 0) return null;
    const now = clock();
    const payment = { grantId: grant.id, period: periodOf(benefit.schedule, now), amountFen: grant.amountFen, createdAt: now };
    const id = await repo.insertPayment(tx, payment);
    if (!id) return null;
    await deps.events.enqueue(tx, { topic: 'benefit.payment_due', payload: { paymentId: id } });
    return { grant, payment: { ...payment, id } };
  }

  /**
   * Sends a payment just scheduled at once, after its transaction committed, rather than a hop of
   * the outbox later; a failure is left to the payment's event, which the worker retries (the
   * instruction id makes a second send the same payment).
   */
  async function payNow(benefit: BenefitRow, scheduled: Scheduled | null): Promise<void> {
    if (!scheduled) return;
    await send(benefit, scheduled.grant, scheduled.payment).catch(() => undefined);
  }

  async function leaf(tx: Executor, fields: Record<string, unknown>): Promise<number> {
    const data = canonicalJson({ kind: BENEFIT_LEAF, ...fields });
    return (await deps.ledger.appendInTx(tx, { kind: BENEFIT_LEAF, data: new TextEncoder().encode(data) })).id;
  }

  async function notice(tx: Executor, benefit: BenefitRow, grant: GrantRow, status: BenefitGrantStatus): Promise<void> {
    if (!deps.notices || !grant.accountId) return;
    const amount = grant.amountFen === null ? '' : yuan(grant.amountFen);
    const words: Partial<Record<BenefitGrantStatus, { zh: string; en: string }>> = {
      granted: {
        zh: `您无需申请，${benefit.nameZh} ${amount} 元已核定发放。`,
        en: `No application needed: your ${benefit.nameEn} of ${amount} yuan has been granted.`,
      },
      offered: {
        zh: `您符合${benefit.nameZh}条件（${amount} 元），确认后即发放。`,
        en: `You qualify for the ${benefit.nameEn} (${amount} yuan); confirm it and it will be paid.`,
      },
      refused: {
        zh: `您暂不符合${benefit.nameZh}条件，可查看原因或申请人工复核。`,
        en: `You do not qualify for the ${benefit.nameEn} for now; see why, or ask a person to review it.`,
      },
      stopped: { zh: `${benefit.nameZh}已停止发放。`, en: `The ${benefit.nameEn} has stopped.` },
    };
    const text = words[status];
    if (!text) return;
    await deps.notices.notifyInTx(tx, {
      accountId: grant.accountId,
      key: `benefit:${grant.id}:${status}`,
      kind: `benefit.${status}`,
      titleZh: benefit.nameZh,
      titleEn: benefit.nameEn,
      bodyZh: text.zh,
      bodyEn: text.en,
      link: `/benefits/${grant.id}`,
      data: { grantId: grant.id, benefitCode: benefit.code, amountFen: grant.amountFen },
      sms: status === 'granted' || status === 'offered',
    });
  }

  /**
   * Assesses one subject for a benefit with the version in force, once per benefit, subject and
   * instance: a second call (a retried event, the next sweep) returns the stored decision. Null
   * when no version is in force.
   */
  async function assess(
    benefit: BenefitRow,
    subject: Subject,
    trigger: { eventId: number | null; at: Date },
    memo: Memo = newMemo(),
  ): Promise<GrantRow | null> {
    const rule = await deps.rules.inForce(benefit.ruleCode);
    if (!rule) return null;
    const { records, unavailable } = await readInputs(benefit, subject.subjectKey, rule, memo);
    const decision = rule.decide(subject.subjectKey, records);
    memo.optOuts ??= await repo.optOutsOf(db, subject.subjectKey);
    const payee = subject.residentId ?? (await payeeOf(subject))?.residentId ?? null;
    const { row, leafFields, status } = decisionOf(
      benefit,
      { ...subject, residentId: payee },
      decision,
      records,
      unavailable,
      memo.optOuts,
      trigger,
      clock(),
    );
    let scheduled: Scheduled | null = null;
    const decided = await db
      .transaction(async (tx) => {
        const ledgerEntryId = await leaf(tx, leafFields);
        const { grant, created } = await repo.insertGrant(tx, { ...row, ledgerEntryId });
        if (!created) {
          // Someone decided it first: this transaction's leaf goes with it (nothing to record twice).
          throw new AlreadyDecided(grant);
        }
        if (status === 'granted' && benefit.mode === 'grant') scheduled = await schedulePayment(tx, benefit, grant);
        await notice(tx, benefit, grant, status);
        return grant;
      })
      .catch((error: unknown) => {
        if (error instanceof AlreadyDecided) return error.grant;
        throw error;
      });
    await payNow(benefit, scheduled);
    return decided;
  }

  /**
   * 免申即办: the department's case for a granted process-mode benefit, opened for the resident
   * (the system acting for them) and approved by the system at the payer, then the payment. Safe
   * to repeat: the submission is keyed by the grant, and an approved case is not decided again.
   */
  async function complete(benefit: BenefitRow, grant: GrantRow, options: { defer?: boolean } = {}): Promise<Scheduled | null> {
    if (benefit.mode !== 'process' || grant.status !== 'granted' || grant.caseId || !benefit.serviceCode || !grant.accountId) return null;
    const summary = await deps.residents.getResidentSummary(grant.accountId);
    const forResident = systemPrincipal({
      actor: `benefit:${benefit.code}`,
      forResident: { residentId: grant.accountId, scopes: ['applications.submit', 'applications.view'] },
    });
    const payer = await deps.orgs.byCode(benefit.payerOrgCode);
    const { case: kase } = await deps.applications.submit(
      forResident,
      {
        serviceCode: benefit.serviceCode,
        form: { certificateNo: grant.instance || '—' },
        ...(summary?.homeOrgCode ? { orgCode: summary.homeOrgCode } : {}),
      },
      `benefit-${grant.id}`,
    );
    const caseOrg = await deps.orgs.byCode(kase.orgCode);
    if (!caseOrg || !payer) throw new AppError('INTERNAL');
    const approver = systemPrincipal({
      actor: `rule:${benefit.ruleCode}`,
      at: { orgCode: caseOrg.code, orgPath: caseOrg.path, actions: ['case.view', 'case.handle'] },
    });
    const [result] = await deps.applications.decideMany(approver, {
      ids: [kase.id],
      decision: 'approve',
      reason: `免申即办：依规则 ${benefit.ruleCode} 第 ${grant.ruleVersion} 版核准 processed without an application by rule ${benefit.ruleCode} v${grant.ruleVersion}`,
    });
    if (result && result.outcome !== 'approved' && !(result.error instanceof AppError && result.error.code === 'ALREADY_DECIDED')) {
      throw result.error ?? new AppError('INTERNAL');
    }
    const scheduled = await db.transaction(async (tx) => {
      const current = await repo.lockGrant(tx, grant.id);
      if (!current || current.caseId) return null;
      await repo.updateGrant(tx, grant.id, { caseId: kase.id });
      return current.status === 'granted' ? schedulePayment(tx, benefit, current) : null;
    });
    // Deferred: the caller sends a batch's payments together (sendMany).
    if (!options.defer) await payNow(benefit, scheduled);
    return scheduled;
  }

  /** Sends one payment instruction (the `benefit.payment_due` handler): once, whatever the retries; a bank that is down throws, and the event is tried again later. */
  async function pay(benefit: BenefitRow, paymentId: string): Promise<void> {
    const payment = await repo.findPayment(db, paymentId);
    if (!payment || payment.status !== 'pending') return;
    const grant = await repo.findGrant(db, payment.grantId);
    if (grant) await send(benefit, grant, payment);
  }

  /**
   * Sends the payments a batch just scheduled in one call to the payments service, the payees read
   * in one query; each one the bank took is marked sent (one statement). One that failed stays
   * pending for its event (a payee with no account yet: held).
   */
  async function sendMany(benefit: BenefitRow, scheduled: readonly Scheduled[]): Promise<void> {
    if (scheduled.length === 0) return;
    const known = await repo.accountsOfSubjects(
      db,
      scheduled.filter((s) => !s.grant.accountId).map((s) => s.grant.subjectKey),
    );
    const accountOf = (s: Scheduled) => s.grant.accountId ?? known.get(s.grant.subjectKey) ?? null;
    const holders = await deps.residents.revealHolders([...new Set(scheduled.map(accountOf).filter((a): a is string => a !== null))]);
    const ready = scheduled.filter((s) => {
      const account = accountOf(s);
      return account !== null && holders.has(account);
    });
    for (const s of scheduled.filter((x) => !ready.includes(x))) await repo.markPaymentHeld(db, s.payment.id);
    if (ready.length === 0) return;
    const actor = await payerActor(benefit, ['payment.send']);
    const results = await deps.payments.sendPayments(
      actor,
      ready.map((s) => {
        const holder = holders.get(accountOf(s)!)!;
        return {
          instructionId: s.payment.id,
          payerOrgCode: benefit.payerOrgCode,
          payeeResidentId: holder.residentId,
          payeeName: holder.name,
          amountFen: s.payment.amountFen,
          purpose: benefit.code,
          reference: `${s.grant.id}:${s.payment.period}`,
        };
      }),
    );
    const sent = ready.flatMap((s, i) => {
      const r = results[i];
      return r && !(r instanceof Error) ? [{ id: s.payment.id, bankReference: r.bankReference }] : [];
    });
    await repo.markPaymentsSent(db, sent, clock());
    for (const [i, r] of results.entries()) {
      if (r instanceof AppError && r.code === 'PAYMENT_REFUSED') await repo.markPaymentRefused(db, ready[i]!.payment.id);
    }
  }

  /** Sends a pending payment of the grant to the bank and records the bank's reference. */
  async function send(benefit: BenefitRow, grant: GrantRow, payment: { id: string; period: string; amountFen: number }): Promise<void> {
    if (grant.status !== 'granted') {
      await repo.cancelPending(db, [grant.id]);
      return;
    }
    const payee = await payeeOf(grant);
    if (!payee) {
      // Nobody to pay yet (found by a sweep, no account): held until they register (triggers.ts).
      await repo.markPaymentHeld(db, payment.id);
      return;
    }
    const actor = await payerActor(benefit, ['payment.send']);
    let receipt: { bankReference: string };
    try {
      receipt = await deps.payments.sendPayment(actor, {
        instructionId: payment.id,
        payerOrgCode: benefit.payerOrgCode,
        payeeResidentId: payee.residentId,
        payeeName: payee.name,
        amountFen: payment.amountFen,
        purpose: benefit.code,
        reference: `${grant.id}:${payment.period}`,
      });
    } catch (error) {
      // Refused for good (a closed account): recorded for a person; a bank that is down throws, and the event is tried again.
      if (error instanceof AppError && error.code === 'PAYMENT_REFUSED') {
        await repo.markPaymentRefused(db, payment.id);
        return;
      }
      throw error;
    }
    await repo.markPaymentSent(db, payment.id, receipt.bankReference, clock());
  }

  return { assess, complete, pay, send, sendMany, payNow, schedulePayment, notice, leaf, payerActor, payeeOf };
}

class AlreadyDecided extends Error {
  constructor(readonly grant: GrantRow) {
    super('already decided');
  }
}

export type Engine = ReturnType<typeof createEngine>;
