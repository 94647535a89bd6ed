import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { workingDaysBetween, type ServiceItem } from '../catalog/index.ts';
import { grantsFor, type Principal } from '../identity/index.ts';
import { caseEscalations, cases, slaReminderReads, type CaseState } from './applications.tables.ts';
import { STATE_LABELS } from './case-state.ts';
import { formatCaseNo, type ApplicationsContext } from './context.ts';

type Label = { zh: string; en: string };

/** One escalation step as the staff it is addressed to see it (催办 / 督办). */
export interface Reminder {
  /** The escalation step's id: what "seen" marks. */
  id: number;
  caseId: string;
  caseNo: string;
  serviceName: Label;
  /** The org handling the case, and the org the step went to (the same one for a reminder). */
  orgCode: string;
  orgName: string;
  toOrgCode: string;
  toOrgName: string;
  /** `remind`: to the handling org (levelsUp 0); `escalate`: to an org above it. */
  kind: 'remind' | 'escalate';
  step: number;
  offset: number;
  levelsUp: number;
  dueDate: string;
  /**
   * Working days past the case's due date now: up to today while it is open, to the return
   * while it waits for the applicant (the clock is paused), to the decision once decided; 0 when
   * not past it (a reminder before the due date, or decided in time after all).
   */
  overdueWorkingDays: number;
  state: CaseState;
  stateLabel: Label;
  /** When the step was taken. */
  at: string;
  /** When the caller marked it seen, or null. */
  seenAt: string | null;
}

export interface ReminderPage {
  items: Reminder[];
  /** Steps addressed to the caller's orgs they have not seen, counted up to `UNSEEN_COUNT_CAP`. */
  unseen: number;
  next: string | null;
}

/** The unseen count stops here (the console shows "99+"): an org with years of steps is not counted through. */
export const UNSEEN_COUNT_CAP = 100;

/**
 * 催办 for staff: the escalation steps (sla-escalation.ts) addressed to the orgs where the caller
 * holds a role that views cases, there and not below: a village reviewer gets the reminders of
 * their village's cases, the township administrator what escalated to the township, and neither
 * sees the other's. Residents get FORBIDDEN; another's step is a 404 like a missing one.
 */
export function createSlaReminderFunctions(ctx: ApplicationsContext) {
  const { db, orgs, catalog, clock } = ctx;

  function addressedTo(principal: Principal): string[] {
    if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
    return [...new Set(grantsFor(principal, 'case.view').map((g) => g.orgCode))];
  }

  async function countUnseen(ex: Executor, accountId: string, orgCodes: string[]): Promise<number> {
    if (orgCodes.length === 0) return 0;
    const { rows } = await ex.execute<{ n: number }>(sql`
      select count(*)::int as n from (
        select 1 from ${caseEscalations} e
        where e.to_org_code in ${orgCodes}
          and not exists (select 1 from ${slaReminderReads} r where r.escalation_id = e.id and r.account_id = ${accountId})
        limit ${UNSEEN_COUNT_CAP}
      ) u`);
    return Number(rows[0]?.n ?? 0);
  }

  function overdueDays(row: { state: CaseState; dueDate: string | null; decidedAt: Date | null; slaPausedAt: Date | null }): number {
    if (!row.dueDate) return 0;
    const end =
      row.state === 'returned' && row.slaPausedAt
        ? chinaDate(row.slaPausedAt)
        : row.decidedAt
          ? chinaDate(row.decidedAt)
          : chinaDate(clock());
    return end > row.dueDate ? workingDaysBetween(row.dueDate, end) : 0;
  }

  return {
    /** The steps addressed to the caller's orgs, newest first (`unseen`: only those not yet seen), with the unseen count. */
    async listReminders(principal: Principal, input: { unseen?: boolean; before?: number; limit?: number } = {}): Promise<ReminderPage> {
      const orgCodes = addressedTo(principal);
      if (orgCodes.length === 0) return { items: [], unseen: 0, next: null };
      const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
      const rows = await db
        .select({
          e: caseEscalations,
          seq: cases.seq,
          serviceCode: cases.serviceCode,
          orgCode: cases.orgCode,
          state: cases.state,
          caseDue: cases.dueDate,
          decidedAt: cases.decidedAt,
          slaPausedAt: cases.slaPausedAt,
          seenAt: slaReminderReads.seenAt,
        })
        .from(caseEscalations)
        .innerJoin(cases, eq(cases.id, caseEscalations.caseId))
        .leftJoin(
          slaReminderReads,
          and(eq(slaReminderReads.escalationId, caseEscalations.id), eq(slaReminderReads.accountId, principal.accountId)),
        )
        .where(
          and(
            inArray(caseEscalations.toOrgCode, orgCodes),
            input.before !== undefined ? lt(caseEscalations.id, input.before) : undefined,
            input.unseen ? isNull(slaReminderReads.seenAt) : undefined,
          ),
        )
        .orderBy(desc(caseEscalations.id))
        .limit(limit);
      const memo = <T>(load: (code: string) => Promise<T>) => {
        const seen = new Map<string, Promise<T>>();
        return (code: string) => seen.get(code) ?? seen.set(code, load(code)).get(code)!;
      };
      const orgName = memo(async (code) => (await orgs.getOrg(code))?.name ?? code);
      const item = memo<ServiceItem | null>((code) => catalog.getItem(code));
      const items = await Promise.all(
        rows.map(async (r): Promise<Reminder> => {
          const [service, name, toName] = await Promise.all([item(r.serviceCode), orgName(r.orgCode), orgName(r.e.toOrgCode)]);
          return {
            id: r.e.id,
            caseId: r.e.caseId,
            caseNo: formatCaseNo(r),
            serviceName: { zh: service?.nameZh ?? r.serviceCode, en: service?.nameEn ?? r.serviceCode },
            orgCode: r.orgCode,
            orgName: name,
            toOrgCode: r.e.toOrgCode,
            toOrgName: toName,
            kind: r.e.levelsUp === 0 ? 'remind' : 'escalate',
            step: r.e.step,
            offset: r.e.offsetDays,
            levelsUp: r.e.levelsUp,
            dueDate: r.e.dueDate,
            overdueWorkingDays: overdueDays({ state: r.state, dueDate: r.caseDue, decidedAt: r.decidedAt, slaPausedAt: r.slaPausedAt }),
            state: r.state,
            stateLabel: STATE_LABELS[r.state],
            at: r.e.at.toISOString(),
            seenAt: r.seenAt?.toISOString() ?? null,
          };
        }),
      );
      const last = rows.at(-1);
      return {
        items,
        unseen: await countUnseen(db, principal.accountId, orgCodes),
        next: rows.length === limit && last ? String(last.e.id) : null,
      };
    },

    /** Marks one step seen by the caller (again: no change); a step not addressed to them is a 404. */
    async markReminderSeen(principal: Principal, id: number): Promise<{ unseen: number }> {
      const orgCodes = addressedTo(principal);
      const [step] = Number.isSafeInteger(id)
        ? await db.select({ toOrgCode: caseEscalations.toOrgCode }).from(caseEscalations).where(eq(caseEscalations.id, id))
        : [];
      if (!step || !orgCodes.includes(step.toOrgCode)) throw notFound('reminder');
      await db.insert(slaReminderReads).values({ escalationId: id, accountId: principal.accountId, seenAt: clock() }).onConflictDoNothing();
      return { unseen: await countUnseen(db, principal.accountId, orgCodes) };
    },

    /** Marks every step addressed to the caller's orgs seen. */
    async markAllRemindersSeen(principal: Principal): Promise<{ unseen: number }> {
      const orgCodes = addressedTo(principal);
      if (orgCodes.length > 0) {
        await db.execute(sql`
          insert into ${slaReminderReads} (escalation_id, account_id, seen_at)
          select e.id, ${principal.accountId}::uuid, ${clock().toISOString()}::timestamptz from ${caseEscalations} e
          where e.to_org_code in ${orgCodes}
          on conflict do nothing`);
      }
      return { unseen: 0 };
    },
  };
}
