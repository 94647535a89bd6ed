import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { benefitGrants, benefitOptOuts, benefitPayments, benefits, benefitSubjects, type BenefitGrantStatus } from './benefits.tables.ts';

export type BenefitRow = typeof benefits.$inferSelect;
export type GrantRow = typeof benefitGrants.$inferSelect;
export type PaymentRow = typeof benefitPayments.$inferSelect;

export async function upsertBenefit(ex: Executor, row: typeof benefits.$inferInsert): Promise<void> {
  const { code: _code, ...rest } = row;
  await ex.insert(benefits).values(row).onConflictDoUpdate({ target: benefits.code, set: rest });
}

export const allBenefits = (ex: Executor): Promise<BenefitRow[]> => ex.select().from(benefits).orderBy(benefits.code);

/** Inserts the decision unless one exists for the benefit, subject and instance; the stored one either way. */
export async function insertGrant(ex: Executor, row: typeof benefitGrants.$inferInsert): Promise<{ grant: GrantRow; created: boolean }> {
  const [inserted] = await ex.insert(benefitGrants).values(row).onConflictDoNothing().returning();
  if (inserted) return { grant: inserted, created: true };
  const [existing] = await ex
    .select()
    .from(benefitGrants)
    .where(
      and(
        eq(benefitGrants.benefitCode, row.benefitCode),
        eq(benefitGrants.subjectKey, row.subjectKey),
        eq(benefitGrants.instance, row.instance ?? ''),
      ),
    );
  if (!existing) throw new Error('benefit grant vanished after a conflict');
  return { grant: existing, created: false };
}

/** Inserts many decisions; those that conflicted with one already there are left out of the answer. */
export function insertGrants(ex: Executor, rows: (typeof benefitGrants.$inferInsert)[]): Promise<GrantRow[]> {
  return ex.insert(benefitGrants).values(rows).onConflictDoNothing().returning();
}

/** The benefit's decisions of these subjects and instances. */
export async function existingGrants(
  ex: Executor,
  benefitCode: string,
  pairs: readonly { subjectKey: string; instance: string }[],
): Promise<GrantRow[]> {
  if (pairs.length === 0) return [];
  const rows = await ex
    .select()
    .from(benefitGrants)
    .where(
      and(eq(benefitGrants.benefitCode, benefitCode), inArray(benefitGrants.subjectKey, [...new Set(pairs.map((p) => p.subjectKey))])),
    );
  const wanted = new Set(pairs.map((p) => `${p.subjectKey}|${p.instance}`));
  return rows.filter((r) => wanted.has(`${r.subjectKey}|${r.instance}`));
}

export async function findGrant(ex: Executor, id: string): Promise<GrantRow | undefined> {
  const [row] = await ex.select().from(benefitGrants).where(eq(benefitGrants.id, id));
  return row;
}

export async function lockGrant(ex: Executor, id: string): Promise<GrantRow | undefined> {
  const [row] = await ex.select().from(benefitGrants).where(eq(benefitGrants.id, id)).for('update');
  return row;
}

export async function updateGrant(ex: Executor, id: string, set: Partial<typeof benefitGrants.$inferInsert>): Promise<void> {
  await ex.update(benefitGrants).set(set).where(eq(benefitGrants.id, id));
}

/** The subjects of `keys` that already have a decision of the benefit (any instance). */
export async function decidedSubjects(ex: Executor, benefitCode: string, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await ex
    .select({ key: benefitGrants.subjectKey })
    .from(benefitGrants)
    .where(and(eq(benefitGrants.benefitCode, benefitCode), inArray(benefitGrants.subjectKey, [...keys])));
  return new Set(rows.map((r) => r.key));
}

/** A resident's decisions: by account, or by subject key for those the sweep found before they had an account. */
export function grantsOfResident(ex: Executor, accountId: string, subjectKey: string | null): Promise<GrantRow[]> {
  const who = subjectKey
    ? or(eq(benefitGrants.accountId, accountId), eq(benefitGrants.subjectKey, subjectKey))
    : eq(benefitGrants.accountId, accountId);
  return ex.select().from(benefitGrants).where(who).orderBy(desc(benefitGrants.decidedAt)).limit(200);
}

export function paymentsOfGrants(ex: Executor, grantIds: readonly string[]): Promise<PaymentRow[]> {
  if (grantIds.length === 0) return Promise.resolve([]);
  return ex
    .select()
    .from(benefitPayments)
    .where(inArray(benefitPayments.grantId, [...grantIds]))
    .orderBy(benefitPayments.createdAt);
}

/** A payment of the grant for the period, unless there is one; the new one's id, or null. */
export async function insertPayment(
  ex: Executor,
  row: { grantId: string; period: string; amountFen: number; createdAt: Date },
): Promise<string | null> {
  const [inserted] = await ex
    .insert(benefitPayments)
    .values({ ...row, status: 'pending' })
    .onConflictDoNothing()
    .returning({ id: benefitPayments.id });
  return inserted?.id ?? null;
}

export async function findPayment(ex: Executor, id: string): Promise<PaymentRow | undefined> {
  const [row] = await ex.select().from(benefitPayments).where(eq(benefitPayments.id, id));
  return row;
}

export async function markPaymentSent(ex: Executor, id: string, bankReference: string, at: Date): Promise<void> {
  await ex
    .update(benefitPayments)
    .set({ status: 'sent', bankReference, sentAt: at })
    .where(and(eq(benefitPayments.id, id), eq(benefitPayments.status, 'pending')));
}

/** Marks many pending payments sent, with their bank references, in one statement. */
export async function markPaymentsSent(ex: Executor, rows: readonly { id: string; bankReference: string }[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  await ex.execute(sql`
    update benefit_payments set status = 'sent', bank_reference = v.ref, sent_at = ${at.toISOString()}::timestamptz
      from unnest(${sql.param(rows.map((r) => r.id))}::uuid[], ${sql.param(rows.map((r) => r.bankReference))}::text[]) as v(id, ref)
     where benefit_payments.id = v.id and benefit_payments.status = 'pending'`);
}

export async function markPaymentRefused(ex: Executor, id: string): Promise<void> {
  await ex
    .update(benefitPayments)
    .set({ status: 'refused' })
    .where(and(eq(benefitPayments.id, id), eq(benefitPayments.status, 'pending')));
}

/** Cancels the grants' payments not yet sent; how many. */
export async function cancelPending(ex: Executor, grantIds: readonly string[]): Promise<number> {
  if (grantIds.length === 0) return 0;
  const rows = await ex
    .update(benefitPayments)
    .set({ status: 'cancelled' })
    .where(and(inArray(benefitPayments.grantId, [...grantIds]), eq(benefitPayments.status, 'pending')))
    .returning({ id: benefitPayments.id });
  return rows.length;
}

/** The subject's live grants (granted or offered), locked: what a death registration stops. */
export function liveGrantsOfSubject(ex: Executor, subjectKey: string): Promise<GrantRow[]> {
  return ex
    .select()
    .from(benefitGrants)
    .where(
      and(eq(benefitGrants.subjectKey, subjectKey), inArray(benefitGrants.status, ['granted', 'offered'] satisfies BenefitGrantStatus[])),
    )
    .for('update');
}

/** The benefits each subject opted out of. */
export async function optOutsOfMany(ex: Executor, subjectKeys: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (subjectKeys.length === 0) return out;
  const rows = await ex
    .select()
    .from(benefitOptOuts)
    .where(inArray(benefitOptOuts.subjectKey, [...subjectKeys]));
  for (const r of rows) out.set(r.subjectKey, (out.get(r.subjectKey) ?? new Set()).add(r.benefitCode));
  return out;
}

/** The benefits the subject opted out of. */
export async function optOutsOf(ex: Executor, subjectKey: string): Promise<Set<string>> {
  const rows = await ex.select({ code: benefitOptOuts.benefitCode }).from(benefitOptOuts).where(eq(benefitOptOuts.subjectKey, subjectKey));
  return new Set(rows.map((r) => r.code));
}

export async function insertOptOut(ex: Executor, subjectKey: string, benefitCode: string, at: Date): Promise<void> {
  await ex.insert(benefitOptOuts).values({ subjectKey, benefitCode, at }).onConflictDoNothing();
}

/**
 * The period's payments of every granted recurring grant of the benefit that has none yet, in one
 * statement (a second run, or another process, inserts nothing); the new payments' ids.
 */
export async function insertPeriodPayments(ex: Executor, benefitCode: string, period: string, at: Date): Promise<string[]> {
  const rows = await ex.execute<{ id: string }>(sql`
    insert into benefit_payments (grant_id, period, amount_fen, status, created_at)
    select g.id, ${period}, g.amount_fen, 'pending', ${at.toISOString()}::timestamptz
      from benefit_grants g
     where g.benefit_code = ${benefitCode} and g.status = 'granted' and g.amount_fen > 0
    on conflict (grant_id, period) do nothing
    returning id`);
  return rows.rows.map((r) => r.id);
}

/** Decisions of the benefits, newest first, a page after the cursor (decided_at, id). */
export function grantsPage(
  ex: Executor,
  input: { benefitCodes: readonly string[]; status?: BenefitGrantStatus; before?: { at: Date; id: string }; limit: number },
): Promise<GrantRow[]> {
  const conditions = [inArray(benefitGrants.benefitCode, [...input.benefitCodes])];
  if (input.status) conditions.push(eq(benefitGrants.status, input.status));
  if (input.before) {
    conditions.push(
      or(
        lt(benefitGrants.decidedAt, input.before.at),
        and(eq(benefitGrants.decidedAt, input.before.at), lt(benefitGrants.id, input.before.id)),
      )!,
    );
  }
  return ex
    .select()
    .from(benefitGrants)
    .where(and(...conditions))
    .orderBy(desc(benefitGrants.decidedAt), desc(benefitGrants.id))
    .limit(input.limit);
}

export interface BenefitCounts {
  benefitCode: string;
  status: BenefitGrantStatus;
  outcome: string;
  count: number;
  amountFen: number;
}

export async function countsByStatus(ex: Executor, benefitCodes: readonly string[]): Promise<BenefitCounts[]> {
  if (benefitCodes.length === 0) return [];
  const rows = await ex
    .select({
      benefitCode: benefitGrants.benefitCode,
      status: benefitGrants.status,
      outcome: benefitGrants.outcome,
      count: sql<number>`count(*)::int`,
      amountFen: sql<number>`coalesce(sum(${benefitGrants.amountFen}), 0)::bigint`,
    })
    .from(benefitGrants)
    .where(inArray(benefitGrants.benefitCode, [...benefitCodes]))
    .groupBy(benefitGrants.benefitCode, benefitGrants.status, benefitGrants.outcome);
  return rows.map((r) => ({ ...r, count: Number(r.count), amountFen: Number(r.amountFen) }));
}

/** Per benefit: payments sent and their sum, and the seconds from trigger to first payment sent (p50, p90, max). */
export async function paymentFigures(
  ex: Executor,
  benefitCodes: readonly string[],
): Promise<
  {
    benefitCode: string;
    sent: number;
    sentFen: number;
    cancelled: number;
    pending: number;
    p50: number | null;
    p90: number | null;
    max: number | null;
  }[]
> {
  if (benefitCodes.length === 0) return [];
  const codes = sql.join(
    benefitCodes.map((c) => sql`${c}`),
    sql`, `,
  );
  const rows = await ex.execute<{
    benefit_code: string;
    sent: string;
    sent_fen: string;
    cancelled: string;
    pending: string;
    p50: number | null;
    p90: number | null;
    max: number | null;
  }>(sql`
    with firsts as (
      select g.benefit_code, extract(epoch from (min(p.sent_at) - g.triggered_at))::float8 as seconds
        from benefit_grants g join benefit_payments p on p.grant_id = g.id
       where g.benefit_code in (${codes}) and p.status = 'sent'
       group by g.id, g.benefit_code, g.triggered_at
    ), totals as (
      select g.benefit_code,
             count(*) filter (where p.status = 'sent') as sent,
             coalesce(sum(p.amount_fen) filter (where p.status = 'sent'), 0) as sent_fen,
             count(*) filter (where p.status = 'cancelled') as cancelled,
             count(*) filter (where p.status = 'pending') as pending
        from benefit_grants g join benefit_payments p on p.grant_id = g.id
       where g.benefit_code in (${codes})
       group by g.benefit_code
    )
    select t.benefit_code, t.sent, t.sent_fen, t.cancelled, t.pending,
           percentile_cont(0.5) within group (order by f.seconds) as p50,
           percentile_cont(0.9) within group (order by f.seconds) as p90,
           max(f.seconds) as max
      from totals t left join firsts f on f.benefit_code = t.benefit_code
     group by t.benefit_code, t.sent, t.sent_fen, t.cancelled, t.pending`);
  return rows.rows.map((r) => ({
    benefitCode: r.benefit_code,
    sent: Number(r.sent),
    sentFen: Number(r.sent_fen),
    cancelled: Number(r.cancelled),
    pending: Number(r.pending),
    p50: r.p50 === null ? null : Number(r.p50),
    p90: r.p90 === null ? null : Number(r.p90),
    max: r.max === null ? null : Number(r.max),
  }));
}

export async function rememberSubjects(ex: Executor, rows: readonly { subjectKey: string; accountId: string }[], at: Date): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.subjectKey, r])).values()];
  if (unique.length === 0) return;
  await ex
    .insert(benefitSubjects)
    .values(unique.map((r) => ({ ...r, updatedAt: at })))
    .onConflictDoUpdate({ target: benefitSubjects.subjectKey, set: { accountId: sql`excluded.account_id`, updatedAt: at } });
}

export async function rememberSubject(ex: Executor, subjectKey: string, accountId: string, at: Date): Promise<void> {
  await ex
    .insert(benefitSubjects)
    .values({ subjectKey, accountId, updatedAt: at })
    .onConflictDoUpdate({ target: benefitSubjects.subjectKey, set: { accountId, updatedAt: at } });
}

/** The accounts of the subjects that have one. */
export async function accountsOfSubjects(ex: Executor, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await ex
    .select()
    .from(benefitSubjects)
    .where(inArray(benefitSubjects.subjectKey, [...keys]));
  return new Map(rows.map((r) => [r.subjectKey, r.accountId]));
}

export async function markPaymentHeld(ex: Executor, id: string): Promise<void> {
  await ex
    .update(benefitPayments)
    .set({ status: 'held' })
    .where(and(eq(benefitPayments.id, id), eq(benefitPayments.status, 'pending')));
}

/** Gives the subject's grants made before their account was known that account, and their held payments back to pending: those payments' ids. */
export async function attachAccount(
  ex: Executor,
  subjectKey: string,
  accountId: string,
  payeeMasked: string,
): Promise<{ grants: GrantRow[]; payments: string[] }> {
  const grants = await ex
    .update(benefitGrants)
    .set({ accountId, payeeMasked })
    .where(and(eq(benefitGrants.subjectKey, subjectKey), sql`${benefitGrants.accountId} is null`))
    .returning();
  if (grants.length === 0) return { grants, payments: [] };
  const released = await ex
    .update(benefitPayments)
    .set({ status: 'pending' })
    .where(
      and(
        inArray(
          benefitPayments.grantId,
          grants.map((g) => g.id),
        ),
        eq(benefitPayments.status, 'held'),
      ),
    )
    .returning({ id: benefitPayments.id });
  return { grants, payments: released.map((r) => r.id) };
}
