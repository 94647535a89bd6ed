import { asc, eq, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Executor } from '../../db/database.ts';
import { slaLadders, type LadderStep } from './applications.tables.ts';

export type { LadderStep } from './applications.tables.ts';

/**
 * Where no jurisdiction set its own: a reminder to the handling org on the due day (when the
 * working day before it has ended), the org above once the case is overdue, and the org above
 * that three working days later.
 */
export const DEFAULT_LADDER: readonly LadderStep[] = [
  { offset: -1, levelsUp: 0 },
  { offset: 0, levelsUp: 1 },
  { offset: 3, levelsUp: 2 },
];

export const LADDER_LIMITS = { maxSteps: 8, minOffset: -10, maxOffset: 60, maxLevelsUp: 4 } as const;

function invalid(key: Parameters<typeof message>[0], params: Record<string, string | number> = {}): AppError {
  return new AppError('SLA_LADDER_INVALID', { detail: message(key, params) });
}

/**
 * A ladder as given (a request body, a CLI argument), checked: 1 to 8 steps of two integers,
 * offsets from −10 to 60 working days strictly increasing, levels up from 0 to 4 never falling.
 * Anything else is refused with SLA_LADDER_INVALID and says which step and why.
 */
export function parseLadder(input: unknown): LadderStep[] {
  const { maxSteps, minOffset, maxOffset, maxLevelsUp } = LADDER_LIMITS;
  if (!Array.isArray(input) || input.length < 1 || input.length > maxSteps) throw invalid('applications.sla.steps', { max: maxSteps });
  const steps: LadderStep[] = [];
  input.forEach((raw: unknown, i) => {
    const n = i + 1;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('applications.sla.step', { n });
    const { offset, levelsUp, ...rest } = raw as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || !Number.isInteger(offset) || !Number.isInteger(levelsUp)) {
      throw invalid('applications.sla.step', { n });
    }
    const step = { offset: offset as number, levelsUp: levelsUp as number };
    const before = steps.at(-1);
    if (step.offset < minOffset || step.offset > maxOffset || (before && step.offset <= before.offset)) {
      throw invalid('applications.sla.offset', { n, min: minOffset, max: maxOffset });
    }
    if (step.levelsUp < 0 || step.levelsUp > maxLevelsUp || (before && step.levelsUp < before.levelsUp)) {
      throw invalid('applications.sla.levelsUp', { n, max: maxLevelsUp });
    }
    steps.push(step);
  });
  return steps;
}

export interface StoredLadder {
  orgCode: string;
  orgPath: string;
  steps: LadderStep[];
}

export async function upsertLadder(ex: Executor, ladder: StoredLadder & { updatedBy: string; updatedAt: Date }): Promise<void> {
  await ex
    .insert(slaLadders)
    .values(ladder)
    .onConflictDoUpdate({
      target: slaLadders.orgCode,
      set: { steps: ladder.steps, updatedBy: ladder.updatedBy, updatedAt: ladder.updatedAt },
    });
}

export async function deleteLadder(ex: Executor, orgCode: string): Promise<boolean> {
  const deleted = await ex.delete(slaLadders).where(eq(slaLadders.orgCode, orgCode)).returning({ orgCode: slaLadders.orgCode });
  return deleted.length > 0;
}

/** Every jurisdiction's ladder: few (one per county or city that set its own), read once per sweep. */
export async function listLadders(ex: Executor): Promise<StoredLadder[]> {
  return ex
    .select({ orgCode: slaLadders.orgCode, orgPath: slaLadders.orgPath, steps: slaLadders.steps })
    .from(slaLadders)
    .orderBy(asc(slaLadders.orgPath));
}

/** The ladder of the nearest org at or above `orgPath` that has one, or null (the default applies). */
export async function findLadderFor(ex: Executor, orgPath: string): Promise<StoredLadder | null> {
  const [row] = await ex
    .select({ orgCode: slaLadders.orgCode, orgPath: slaLadders.orgPath, steps: slaLadders.steps })
    .from(slaLadders)
    .where(sql`${slaLadders.orgPath} = ${orgPath} or ${orgPath} like ${slaLadders.orgPath} || '.%'`)
    .orderBy(sql`length(${slaLadders.orgPath}) desc`)
    .limit(1);
  return row ?? null;
}

/** Among `ladders`, the one for a case at `orgPath`: the longest path covering it, or null. */
export function ladderFor(ladders: readonly StoredLadder[], orgPath: string): StoredLadder | null {
  let best: StoredLadder | null = null;
  for (const l of ladders) {
    const covers = orgPath === l.orgPath || orgPath.startsWith(`${l.orgPath}.`);
    if (covers && (!best || l.orgPath.length > best.orgPath.length)) best = l;
  }
  return best;
}
