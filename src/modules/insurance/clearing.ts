/**
 * 清算: a month's settlements between the fund of a place of treatment (the pooling city of the
 * hospital's division) and that of a place of insurance, summed in one set-based statement — one
 * scan of the month's settlements grouped by hospital day, then by pair — with the hospital days
 * that do not add up: no 3201 reconciliation, a reconciliation that did not match, or one that
 * matched but whose totals the day no longer has (a cancellation after it). Each pair's row is
 * stored in insurance_clearings and sealed as a certificate (`insurance_clearing_statement`,
 * issued by the place of insurance's office): a certificate rather than a signed JSON file because
 * it then has everything a statement needs already — the office's SM2 seal and chain, a status
 * list (a re-run that changes a pair revokes the old one), a ledger leaf, and /verify and
 * `yiban verify`. Running a month again keeps a pair's statement when nothing changed.
 */
import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { InsuranceContext } from './insurance-context.ts';
import { insuranceClearings, type ReconTotals } from './insurance.tables.ts';
import type { ReferenceData } from './reference-data.ts';
import { derivedUuid, issuerOf, statementActor, yuan } from './statement.ts';

export const CLEARING_TYPE = 'insurance_clearing_statement';
/** How many discrepancies the sealed statement lists; the digest covers them all. */
const LISTED = 30;

type DiscrepancyReason = 'no_reconciliation' | 'mismatch' | 'changed_after_reconciliation';
interface Discrepancy {
  institutionCode: string;
  day: string;
  reason: DiscrepancyReason;
}

export interface ClearedPair {
  month: string;
  treatmentRegion: string;
  insuranceRegion: string;
  totals: ReconTotals;
  discrepancies: Discrepancy[];
  certificateId: string | null;
}

const REASON_ZH: Record<DiscrepancyReason, string> = {
  no_reconciliation: '未对账',
  mismatch: '对账不一致',
  changed_after_reconciliation: '对账后结算有变化',
};

/** The first day of `month` and of the next, as dates. */
export function monthRange(month: string): { from: string; to: string } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new AppError('VALIDATION_FAILED', { detail: { zh: '月份应为 YYYY-MM', en: 'month must be YYYY-MM' } });
  const year = Number(m[1]);
  const next = Number(m[2]) === 12 ? `${year + 1}-01` : `${year}-${String(Number(m[2]) + 1).padStart(2, '0')}`;
  return { from: `${month}-01`, to: `${next}-01` };
}

/** The digest of what a pair's statement says: the same content, the same statement. */
function contentDigest(
  pair: Pick<ClearedPair, 'month' | 'treatmentRegion' | 'insuranceRegion' | 'totals'> & { discrepancies: readonly { reason: string }[] },
): string {
  const { month, treatmentRegion, insuranceRegion, totals, discrepancies } = pair;
  return createHash('sha256').update(canonicalJson({ month, treatmentRegion, insuranceRegion, totals, discrepancies })).digest('hex');
}

interface PairRow extends Record<string, unknown> {
  treatment_region: string;
  insurance_region: string;
  count: number;
  total_fen: string;
  fund_fen: string;
  account_fen: string;
  cash_fen: string;
  discrepancies: Discrepancy[] | string;
}

export function createClearing(ctx: InsuranceContext, reference: ReferenceData) {
  const { db, deps, clock } = ctx;

  /** The month's pairs: one scan of its settlements (index on day), one GROUP BY per level. */
  async function sumMonth(month: string): Promise<Omit<ClearedPair, 'certificateId'>[]> {
    const { from, to } = monthRange(month);
    const result = await db.execute<PairRow>(sql`
      with days as (
        select institution_code, day, insurance_region, left(treatment_region, 4) || '00' as treatment_region,
               count(*)::int as count, sum(total_fen)::bigint as total_fen, sum(hifp_pay_fen)::bigint as fund_fen,
               sum(acct_pay_fen)::bigint as account_fen, sum(cash_pay_fen)::bigint as cash_fen
          from insurance_settlements
         where day >= ${from}::date and day < ${to}::date and status = 'settled'
         group by institution_code, day, insurance_region, left(treatment_region, 4)
      ),
      recon as (
        select r.institution_code, r.day, r.insurance_region, r.matched, r.theirs, left(i.region, 4) || '00' as treatment_region
          from insurance_reconciliations r join insurance_institutions i on i.code = r.institution_code
         where r.day >= ${from}::date and r.day < ${to}::date
      ),
      discrepant as (
        select coalesce(d.treatment_region, r.treatment_region) as treatment_region,
               coalesce(d.insurance_region, r.insurance_region) as insurance_region,
               coalesce(d.institution_code, r.institution_code) as institution_code,
               coalesce(d.day, r.day) as day,
               case when r.institution_code is null then 'no_reconciliation'
                    when not r.matched then 'mismatch'
                    else 'changed_after_reconciliation' end as reason
          from days d full join recon r
            on r.institution_code = d.institution_code and r.day = d.day and r.insurance_region = d.insurance_region
         where r.institution_code is null or not r.matched
            or (r.theirs->>'count')::int <> coalesce(d.count, 0)
            or (r.theirs->>'totalFen')::bigint <> coalesce(d.total_fen, 0)
            or (r.theirs->>'fundFen')::bigint <> coalesce(d.fund_fen, 0)
            or (r.theirs->>'accountFen')::bigint <> coalesce(d.account_fen, 0)
            or (r.theirs->>'cashFen')::bigint <> coalesce(d.cash_fen, 0)
      ),
      pairs as (
        select treatment_region, insurance_region, sum(count)::int as count, sum(total_fen)::bigint as total_fen,
               sum(fund_fen)::bigint as fund_fen, sum(account_fen)::bigint as account_fen, sum(cash_fen)::bigint as cash_fen
          from days group by treatment_region, insurance_region
      ),
      listed as (
        select treatment_region, insurance_region,
               json_agg(json_build_object('institutionCode', institution_code, 'day', to_char(day, 'YYYY-MM-DD'), 'reason', reason)
                        order by day, institution_code) as discrepancies
          from discrepant group by treatment_region, insurance_region
      )
      select coalesce(p.treatment_region, l.treatment_region) as treatment_region,
             coalesce(p.insurance_region, l.insurance_region) as insurance_region,
             coalesce(p.count, 0) as count, coalesce(p.total_fen, 0)::text as total_fen, coalesce(p.fund_fen, 0)::text as fund_fen,
             coalesce(p.account_fen, 0)::text as account_fen, coalesce(p.cash_fen, 0)::text as cash_fen,
             coalesce(l.discrepancies, '[]'::json) as discrepancies
        from pairs p full join listed l on l.treatment_region = p.treatment_region and l.insurance_region = p.insurance_region
       order by 1, 2`);
    return result.rows.map((r) => ({
      month,
      treatmentRegion: r.treatment_region,
      insuranceRegion: r.insurance_region,
      totals: {
        count: Number(r.count),
        totalFen: Number(r.total_fen),
        fundFen: Number(r.fund_fen),
        accountFen: Number(r.account_fen),
        cashFen: Number(r.cash_fen),
      },
      discrepancies: typeof r.discrepancies === 'string' ? (JSON.parse(r.discrepancies) as Discrepancy[]) : r.discrepancies,
    }));
  }

  async function statementValues(pair: Omit<ClearedPair, 'certificateId'>) {
    const name = async (region: string) => `${(await reference.region(region))?.nameZh ?? ''}（${region}）`;
    const { totals, discrepancies } = pair;
    const listed = discrepancies
      .slice(0, LISTED)
      .map((d) => `${d.day} ${d.institutionCode}：${REASON_ZH[d.reason]}`)
      .concat(discrepancies.length > LISTED ? [`……及另外 ${discrepancies.length - LISTED} 个医院日`] : []);
    return [
      { name: 'month', value: pair.month },
      { name: 'treatmentRegion', value: await name(pair.treatmentRegion) },
      { name: 'insuranceRegion', value: await name(pair.insuranceRegion) },
      { name: 'count', value: String(totals.count) },
      { name: 'totalYuan', value: yuan(totals.totalFen) },
      { name: 'fundYuan', value: yuan(totals.fundFen) },
      { name: 'accountYuan', value: yuan(totals.accountFen) },
      { name: 'cashYuan', value: yuan(totals.cashFen) },
      { name: 'discrepancyCount', value: String(discrepancies.length) },
      { name: 'discrepancies', value: listed.length > 0 ? listed.join('\n') : '无 none' },
      {
        name: 'discrepancyDigest',
        value: createHash('sha256').update(canonicalJson(discrepancies)).digest('hex'),
      },
    ];
  }

  return {
    /**
     * Clears `month` (YYYY-MM): stores each pair's totals and discrepancies, seals a statement
     * for each pair whose content is new, and revokes the statement it replaces. No principal:
     * the CLI and the platform's schedule call it (never a route).
     */
    async clearMonth(month: string, options: { seal?: boolean } = {}) {
      const started = performance.now();
      const pairs = await sumMonth(month);
      const summed = performance.now();
      const previous = new Map(
        (await db.select().from(insuranceClearings).where(eq(insuranceClearings.month, month))).map((r) => [
          `${r.treatmentRegion}/${r.insuranceRegion}`,
          r,
        ]),
      );
      const sealing = options.seal !== false;
      const toSeal: { pair: (typeof pairs)[number]; key: string; orgCode: string; actorId: string }[] = [];
      const kept = new Map<string, string | null>();
      for (const pair of pairs) {
        const id = `${pair.treatmentRegion}/${pair.insuranceRegion}`;
        const before = previous.get(id);
        if (before && contentDigest(before) === contentDigest(pair) && (before.certificateId || !sealing)) {
          kept.set(id, before.certificateId);
          continue;
        }
        if (!sealing) continue;
        const org = await issuerOf(ctx, reference, pair.insuranceRegion);
        toSeal.push({
          pair,
          key: derivedUuid('clearing', `${id}/${month}/${contentDigest(pair)}`),
          orgCode: org.code,
          actorId: statementActor(org).accountId,
        });
      }
      const prepared = await deps.certificates.prepareRecordIssue(
        await Promise.all(
          toSeal.map(async (s) => ({
            key: s.key,
            type: CLEARING_TYPE,
            orgCode: s.orgCode,
            holderId: derivedUuid('region', s.pair.treatmentRegion),
            holder: {
              name: `${(await reference.region(s.pair.treatmentRegion))?.nameZh ?? s.pair.treatmentRegion} 就医地医疗保障基金`,
              residentIdMasked: '',
            },
            values: await statementValues(s.pair),
            actorId: s.actorId,
          })),
        ),
      );
      const now = clock();
      const out: ClearedPair[] = await db.transaction(async (tx) => {
        const issued = toSeal.length > 0 ? await prepared(tx) : new Map<string, { id: string }>();
        const sealedBy = new Map(toSeal.map((s) => [`${s.pair.treatmentRegion}/${s.pair.insuranceRegion}`, issued.get(s.key)?.id ?? null]));
        const rows = pairs.map((pair) => {
          const id = `${pair.treatmentRegion}/${pair.insuranceRegion}`;
          return { ...pair, certificateId: sealedBy.get(id) ?? kept.get(id) ?? null };
        });
        // Pairs with nothing left this time (every settlement cancelled, no discrepancy) go.
        for (const [id, before] of previous)
          if (!rows.some((r) => `${r.treatmentRegion}/${r.insuranceRegion}` === id))
            await tx
              .delete(insuranceClearings)
              .where(
                and(
                  eq(insuranceClearings.month, month),
                  eq(insuranceClearings.treatmentRegion, before.treatmentRegion),
                  eq(insuranceClearings.insuranceRegion, before.insuranceRegion),
                ),
              );
        if (rows.length > 0)
          await tx
            .insert(insuranceClearings)
            .values(rows.map((r) => ({ ...r, createdAt: now })))
            .onConflictDoUpdate({
              target: [insuranceClearings.month, insuranceClearings.treatmentRegion, insuranceClearings.insuranceRegion],
              set: {
                totals: sql`excluded.totals`,
                discrepancies: sql`excluded.discrepancies`,
                certificateId: sql`excluded.certificate_id`,
                createdAt: sql`excluded.created_at`,
              },
            });
        return rows;
      });
      // A replaced statement is revoked once the new one is stored (a crash just here would leave it active).
      const current = new Set(out.map((r) => r.certificateId).filter((id): id is string => id !== null));
      for (const before of previous.values()) {
        if (!before.certificateId || current.has(before.certificateId)) continue;
        const actor = statementActor(await issuerOf(ctx, reference, before.insuranceRegion));
        if ((await deps.certificates.get(actor, before.certificateId)).status !== 'revoked')
          await deps.certificates.changeStatus(actor, before.certificateId, 'revoked', '清算已重算 the month was cleared again');
      }
      return { month, pairs: out, millis: { sum: summed - started, total: performance.now() - started } };
    },
  };
}
