import { and, asc, eq, sql } from 'drizzle-orm';
import { message, type Bilingual } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { addWorkingDays, isWorkingDay } from '../catalog/index.ts';
import { systemPrincipal } from '../identity/index.ts';
import { caseEscalations, cases, OPEN_CASE, type CaseState } from './applications.tables.ts';
import * as repo from './applications.repository.ts';
import type { ApplicationsContext } from './context.ts';
import { DEFAULT_LADDER, ladderFor, listLadders, type LadderStep } from './sla-ladders.ts';

const BATCH = 500;
/** The escalation sweep's actor in the case history: a system actor (name-based id), no person. */
export const SLA_ACTOR_ID = systemPrincipal({ actor: 'sla-escalation' }).accountId;
export const CASE_ESCALATED_TOPIC = 'case.escalated';

export interface EscalationRecord {
  caseId: string;
  step: number;
  offset: number;
  levelsUp: number;
  /** The org notified: the handling org (levelsUp 0) or the one `levelsUp` levels above it. */
  toOrgCode: string;
  dueDate: string;
  at: string;
}

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The day `offset` working days from `due` (before it when negative; the due date itself for 0). */
export function stepDay(due: string, offset: number): string {
  if (offset >= 0) return addWorkingDays(due, offset).dueDate;
  let date = due;
  for (let left = -offset; left > 0;) {
    date = shiftDays(date, -1);
    if (isWorkingDay(date)) left--;
  }
  return date;
}

/**
 * The latest due date whose step at `offset` has fired by `today`: a step fires once its day
 * (`stepDay`) has ended, so a case fires it when `due_date` is at most this date. The step day
 * grows with the due date, so the answer is found by walking from today.
 */
export function latestFiringDue(today: string, offset: number): string {
  let due = today;
  while (stepDay(due, offset) >= today) due = shiftDays(due, -1);
  while (stepDay(shiftDays(due, 1), offset) < today) due = shiftDays(due, 1);
  return due;
}

/** The org `levelsUp` levels above the org at the end of `orgPath` (the top of the path at most). */
export function orgAbove(orgPath: string, levelsUp: number): string {
  const codes = orgPath.split('.');
  return codes[Math.max(0, codes.length - 1 - levelsUp)]!;
}

function escalationReason(step: number, s: LadderStep, to: string): string {
  const when: Bilingual =
    s.offset < 0
      ? { zh: `到期前 ${-s.offset} 个工作日`, en: `${-s.offset} working day(s) before the due date` }
      : s.offset === 0
        ? { zh: '已超期', en: 'overdue' }
        : { zh: `超期 ${s.offset} 个工作日`, en: `${s.offset} working day(s) overdue` };
  const whom: Bilingual =
    s.levelsUp === 0
      ? { zh: '提醒办理单位', en: 'reminder to the handling org' }
      : { zh: `报上 ${s.levelsUp} 级`, en: `to the org ${s.levelsUp} level(s) up,` };
  const text = message('applications.sla.escalated', { step, when, whom, org: to });
  return `${text.zh} / ${text.en}`;
}

/**
 * 督办: the hourly sweep (`yiban serve`) that takes every escalation step an open case has
 * reached on its jurisdiction's ladder (sla-ladders.ts), once each. Each batch of steps is one
 * transaction: the escalation rows, their `escalate` events in the case history and a
 * `case.escalated` outbox event per step. The unique key (case, step) makes the sweep idempotent,
 * also when two processes run it at once: the second's insert waits for the first's and then
 * writes nothing, so nothing else of its is written either. Cases are read by keyset in due-date
 * order over the open cases' due-date index.
 */
export function createSlaEscalation(ctx: ApplicationsContext) {
  const { db, clock } = ctx;

  async function recordSteps(
    now: Date,
    page: { id: string; orgPath: string; dueDate: string }[],
    ladders: Awaited<ReturnType<typeof listLadders>>,
    firing: Map<number, string>,
  ): Promise<EscalationRecord[]> {
    const due = page.flatMap((c) =>
      (ladderFor(ladders, c.orgPath)?.steps ?? DEFAULT_LADDER).flatMap((s, i) =>
        c.dueDate <= firing.get(s.offset)!
          ? [{ caseId: c.id, step: i + 1, s, toOrgCode: orgAbove(c.orgPath, s.levelsUp), dueDate: c.dueDate }]
          : [],
      ),
    );
    if (due.length === 0) return [];
    // The names for the case history, read before the transaction (PGlite's one connection is the transaction's once it is open).
    const codes = [...new Set(due.map((d) => d.toOrgCode))];
    const names = new Map(await Promise.all(codes.map(async (code) => [code, (await ctx.orgs.getOrg(code))?.name] as const)));
    const orgText = (code: string) => (names.get(code) ? `${names.get(code)}（${code}）` : code);
    const col = <T>(pick: (d: (typeof due)[number]) => T) => sql.param(due.map(pick));
    return db.transaction(async (tx) => {
      const { rows } = await tx.execute<{
        case_id: string;
        step: number;
        offset_days: number;
        levels_up: number;
        to_org_code: string;
        due_date: string;
        state: CaseState;
        org_code: string;
        service_code: string;
      }>(sql`
        with t as (
          select * from unnest(${col((d) => d.caseId)}::uuid[], ${col((d) => d.step)}::int[], ${col((d) => d.s.offset)}::int[],
                               ${col((d) => d.s.levelsUp)}::int[], ${col((d) => d.toOrgCode)}::text[], ${col((d) => d.dueDate)}::date[])
            as t (case_id, step, offset_days, levels_up, to_org_code, due_date)
        ), ins as (
          insert into ${caseEscalations} (case_id, step, offset_days, levels_up, to_org_code, due_date, at)
          select t.case_id, t.step, t.offset_days, t.levels_up, t.to_org_code, t.due_date, ${now.toISOString()}::timestamptz
          from t join cases c on c.id = t.case_id
          -- Still open and still due then: a case decided or returned since the page was read is left alone.
          where c.state in ('submitted', 'accepted', 'in_review') and c.due_date = t.due_date
          order by t.case_id, t.step
          on conflict (case_id, step) do nothing
          returning case_id, step, offset_days, levels_up, to_org_code, due_date::text
        )
        select ins.*, c.state, c.org_code, c.service_code from ins join cases c on c.id = ins.case_id
        order by ins.case_id, ins.step`);
      if (rows.length === 0) return [];
      await repo.insertEventsMany(
        tx,
        rows.map((r) => ({
          caseId: r.case_id,
          action: 'escalate',
          fromState: r.state,
          toState: r.state,
          actorId: SLA_ACTOR_ID,
          onBehalfOf: null,
          channel: 'system',
          reason: escalationReason(
            Number(r.step),
            { offset: Number(r.offset_days), levelsUp: Number(r.levels_up) },
            orgText(r.to_org_code),
          ),
        })),
      );
      await ctx.deps.events.enqueueMany(
        tx,
        rows.map((r) => ({
          topic: CASE_ESCALATED_TOPIC,
          payload: {
            caseId: r.case_id,
            serviceCode: r.service_code,
            orgCode: r.org_code,
            step: Number(r.step),
            toOrgCode: r.to_org_code,
            dueDate: r.due_date,
          },
        })),
      );
      return rows.map((r) => ({
        caseId: r.case_id,
        step: Number(r.step),
        offset: Number(r.offset_days),
        levelsUp: Number(r.levels_up),
        toOrgCode: r.to_org_code,
        dueDate: r.due_date,
        at: now.toISOString(),
      }));
    });
  }

  return {
    /** Takes every escalation step due by `now` (China date), once; returns the steps this run recorded. */
    async escalateOverdue(now: Date = clock()): Promise<EscalationRecord[]> {
      const today = chinaDate(now);
      const ladders = await listLadders(db);
      const offsets = new Set([...DEFAULT_LADDER, ...ladders.flatMap((l) => l.steps)].map((s) => s.offset));
      const firing = new Map([...offsets].map((o) => [o, latestFiringDue(today, o)]));
      const maxDue = [...firing.values()].sort().at(-1)!;
      const out: EscalationRecord[] = [];
      let after: { dueDate: string; id: string } | null = null;
      for (;;) {
        const page = await db
          .select({ id: cases.id, orgPath: cases.orgPath, dueDate: cases.dueDate })
          .from(cases)
          .where(
            and(
              OPEN_CASE,
              sql`${cases.dueDate} <= ${maxDue}`,
              after ? sql`(${cases.dueDate}, ${cases.id}) > (${after.dueDate}, ${after.id})` : undefined,
            ),
          )
          .orderBy(asc(cases.dueDate), asc(cases.id))
          .limit(BATCH);
        const open = page.flatMap((c) => (c.dueDate ? [{ id: c.id, orgPath: c.orgPath, dueDate: c.dueDate }] : []));
        out.push(...(await recordSteps(now, open, ladders, firing)));
        const last = open.at(-1);
        if (page.length < BATCH || !last) return out;
        after = { dueDate: last.dueDate, id: last.id };
      }
    },
  };
}

/** The escalation steps recorded on a case, in order. */
export async function listCaseEscalations(ex: Executor, caseId: string): Promise<EscalationRecord[]> {
  const rows = await ex.select().from(caseEscalations).where(eq(caseEscalations.caseId, caseId)).orderBy(asc(caseEscalations.step));
  return rows.map((r) => ({
    caseId: r.caseId,
    step: r.step,
    offset: r.offsetDays,
    levelsUp: r.levelsUp,
    toOrgCode: r.toOrgCode,
    dueDate: r.dueDate,
    at: r.at.toISOString(),
  }));
}
