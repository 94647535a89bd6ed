import { canonicalJson } from '../../verify/document.ts';
import { message } from '../../core/messages.ts';
import { recordsOf, ruleDataProblems } from '../sharing/index.ts';
import type { BenefitsContext } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import type { BenefitRow, GrantRow } from './benefits.repository.ts';
import type { GrantTrace } from './benefits.tables.ts';
import { BENEFIT_LEAF, decisionOf, type Engine, type Scheduled, type Subject } from './engine.ts';

/** What the assessments of one batch of triggers share: each dataset's records of all its subjects, and their opt-outs. */
export interface BatchMemo {
  records: Map<string, Map<string, Record<string, string>>>;
  optOuts: Map<string, Set<string>> | null;
}

export const newBatchMemo = (): BatchMemo => ({ records: new Map(), optOuts: null });

/** Runs `work` over `items`, `limit` at a time; the results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * Assesses many subjects for one benefit at once (a batch of triggers): the rule version read
 * once, its grants checked once, each dataset read once for every subject, the decisions, their
 * leaves, first payments and notices in one transaction; then the payments sent. The same
 * decisions as `assess` one by one. Subjects already decided are left as they are; if another
 * process decides one meanwhile, the transaction rolls back and the caller falls back to one by one.
 */
export function createAssessMany(ctx: BenefitsContext, engine: Engine) {
  const { db, deps, clock } = ctx;

  return async function assessMany(
    benefit: BenefitRow,
    items: readonly { subject: Subject; trigger: { eventId: number | null; at: Date } }[],
    memo: BatchMemo,
  ): Promise<GrantRow[]> {
    if (items.length === 0) return [];
    const rule = await deps.rules.inForce(benefit.ruleCode);
    if (!rule) return [];
    const keys = [...new Set(items.map((i) => i.subject.subjectKey))];
    const problems = await ruleDataProblems(db, {
      consumerOrgCode: benefit.payerOrgCode,
      purpose: rule.purpose,
      needs: rule.needs,
      at: clock(),
    });
    const readable = [...rule.needs.keys()].filter((d) => !problems.some((p) => p.dataset === d));
    const unread = readable.filter((d) => !memo.records.has(d));
    const read = await Promise.all(unread.map((d) => recordsOf(db, d, keys)));
    unread.forEach((d, i) => memo.records.set(d, read[i]!));
    memo.optOuts ??= await repo.optOutsOfMany(db, keys);
    const unavailable: GrantTrace['unavailable'] = problems.map((p) => ({
      dataset: p.dataset,
      reason: message(`rules.data.${p.problem}`),
    }));
    const now = clock();
    const decided = items.map((item) => {
      const key = item.subject.subjectKey;
      const records = Object.fromEntries(readable.map((d) => [d, memo.records.get(d)!.get(key)]));
      const decision = rule.decide(key, records);
      return decisionOf(benefit, item.subject, decision, records, unavailable, memo.optOuts!.get(key) ?? new Set(), item.trigger, now);
    });
    const existing = await repo.existingGrants(
      db,
      benefit.code,
      decided.map((d) => ({ subjectKey: d.row.subjectKey, instance: d.row.instance })),
    );
    const seen = new Set(existing.map((g) => `${g.subjectKey}|${g.instance}`));
    const fresh = decided.filter((d, i, all) => {
      const k = `${d.row.subjectKey}|${d.row.instance}`;
      return !seen.has(k) && all.findIndex((x) => `${x.row.subjectKey}|${x.row.instance}` === k) === i;
    });
    const scheduled: Scheduled[] = [];
    const created =
      fresh.length === 0
        ? []
        : await db.transaction(async (tx) => {
            const { ids } = await deps.ledger.appendManyInTx(
              tx,
              fresh.map((d) => ({
                kind: BENEFIT_LEAF,
                data: new TextEncoder().encode(canonicalJson({ kind: BENEFIT_LEAF, ...d.leafFields })),
              })),
            );
            const grants = await repo.insertGrants(
              tx,
              fresh.map((d, i) => ({ ...d.row, ledgerEntryId: ids[i]! })),
            );
            // Decided by another process meanwhile: roll back (its leaves with it); the caller goes one by one.
            if (grants.length !== fresh.length) throw new Error('benefit decided concurrently');
            for (const grant of grants) {
              if (grant.status === 'granted' && benefit.mode === 'grant') {
                const s = await engine.schedulePayment(tx, benefit, grant);
                if (s) scheduled.push(s);
              }
              await engine.notice(tx, benefit, grant, grant.status);
            }
            return grants;
          });
    await engine.sendMany(benefit, scheduled);
    return [...existing, ...created];
  };
}
