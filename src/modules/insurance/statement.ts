/**
 * 结算单: the sealed statement of a settlement, a certificate of type `insurance_settlement_statement`
 * issued by the pooling region's office (or the platform's root org when the region has none) to
 * the insured person — to their account when they have one, else to a holder id derived from their
 * person number, so that a person without an account gets theirs too (through this module's route).
 * Issued once per settlement from `insurance.settled` (the certificate's key is derived from the
 * settlement id, and the settlement's certificate_id is set in the issuing transaction); revoked
 * from `insurance.cancelled` when the settlement is cancelled (2305) or reversed (2601).
 */
import { createHash } from 'node:crypto';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import { yieldToIo } from '../../core/yield.ts';
import type { RecordIssueInput } from '../certificates/index.ts';
import type { EventHandler } from '../events/index.ts';
import { PLATFORM_ADMIN_ORG, systemPrincipal, type Principal } from '../identity/index.ts';
import type { InsuranceContext } from './insurance-context.ts';
import { insuranceEncounters, insuranceFeeLines, insurancePersons, insuranceSettlements } from './insurance.tables.ts';
import type { ReferenceData } from './reference-data.ts';
import { SETTLED_TOPIC, settlementFields } from './transactions.ts';
import { expandSettlement, type Explanation } from './settlement.ts';

export const STATEMENT_TYPE = 'insurance_settlement_statement';
/** Enqueued by a cancellation (2305) or a reversal (2601) of a settlement: {setlId, how}. */
const CANCELLED_TOPIC = 'insurance.cancelled';

type SettlementRow = typeof insuranceSettlements.$inferSelect;
type PersonRow = typeof insurancePersons.$inferSelect;

/** A uuid (v5 layout) derived from a record: the same record, the same certificate key or holder. */
export function derivedUuid(kind: string, id: string): string {
  const h = createHash('sha256').update(`yiban/insurance/${kind}/${id}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const yuan = (fen: number) => (fen / 100).toFixed(2);

/** The issuer of a pooling region's statements: its office, or the platform's root org. */
export async function issuerOf(ctx: InsuranceContext, reference: ReferenceData, region: string) {
  const office = await reference.region(region);
  const org = (office && (await ctx.deps.orgs.byCode(office.officeOrgCode))) || (await ctx.deps.orgs.byCode(PLATFORM_ADMIN_ORG));
  if (!org) throw notFound('org');
  return org;
}

/** The system actor that issues and revokes at `org`. */
export function statementActor(org: { code: string; path: string }): Principal {
  return systemPrincipal({
    actor: 'insurance:statement',
    at: { orgCode: org.code, orgPath: org.path, actions: ['certificate.view', 'certificate.changeStatus'] },
  });
}

const because = (why: readonly Explanation[], basis: string) =>
  why.map((w) => `${w.zh}〔${w.rule}，${w.policy}${w.basis === basis ? '' : `，${w.basis}`}〕`).join('；');

/** The statement's field values: the settlement as stored, each line with why, the ID masked. */
function statementValues(
  s: SettlementRow,
  p: PersonRow,
  names: { institution: string; insuranceRegion: string; beginDate: string; lineNames: ReadonlyMap<string, string> },
): { name: string; value: string }[] {
  const result = expandSettlement(s.result);
  const amounts = settlementFields(result);
  const basis = result.why[0]?.basis ?? '';
  const bases = [...new Set([...result.why, ...result.lines.flatMap((l) => l.why)].map((w) => w.basis))];
  const list = s.list ?? {};
  const dates = list.admDate && list.dscgDate ? `${list.admDate} 至 ${list.dscgDate}` : names.beginDate;
  const lines = result.lines.map(
    (l) =>
      `${l.id} ${names.lineNames.get(l.id) ?? ''}：金额 ${yuan(l.totalFen)}，全自费 ${yuan(l.fulamtOwnpayFen)}，超限价 ${yuan(l.overlmtSelfpayFen)}，` +
      `先行自付 ${yuan(l.preselfpayFen)}，符合范围 ${yuan(l.inscpFen)}。${because(l.why, basis)}`,
  );
  const amount = (zh: string, key: keyof typeof amounts) => `${zh}（${key}）${yuan(amounts[key])} 元`;
  const settledAt = new Date(s.settledAt.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  const values: Record<string, string> = {
    holderName: p.name,
    residentIdMasked: p.idMasked,
    psnNo: p.psnNo,
    setlId: s.setlId,
    institution: `${names.institution}（${s.institutionCode}）`,
    regions: `就医地 ${s.treatmentRegion}，参保地 ${names.insuranceRegion}（${s.insuranceRegion}）`,
    dates: `就诊日期 ${dates}，结算时间 ${settledAt}`,
    policyVersion: s.policyVersion,
    legalBasis: bases.join('；'),
    amounts: [
      amount('医疗费总额', 'medfee_sumamt'),
      amount('全自费', 'fulamt_ownpay_amt'),
      amount('超限价自费', 'overlmt_selfpay'),
      amount('乙类先行自付', 'preselfpay_amt'),
      amount('符合范围', 'inscp_scp_amt'),
      amount('起付线', 'act_pay_dedc'),
      amount('统筹基金支付', 'hifp_pay'),
      amount('个人账户支付', 'acct_pay'),
      amount('个人现金支付', 'psn_cash_pay'),
    ].join('；'),
    why: because(result.why, basis),
    lines: lines.join('\n'),
  };
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

export interface StatementAccess {
  personOfResident(principal: Principal): Promise<PersonRow | null>;
  visibleRegions(principal: Principal): Promise<string[]>;
}

export function createStatements(ctx: InsuranceContext, reference: ReferenceData, access: StatementAccess) {
  const { db, deps } = ctx;

  /**
   * The statements of some settlements, sealed as one batch (one signature over the batch, one
   * transaction): the settlements still standing and not yet sealed are issued, the others skipped,
   * also when one was cancelled (or sealed by another server) between the reads and the transaction.
   */
  async function issue(setlIds: readonly string[], markHandled?: Parameters<EventHandler['handle']>[1]['markHandled']) {
    const rows = (
      await db
        .select()
        .from(insuranceSettlements)
        .where(inArray(insuranceSettlements.setlId, [...setlIds]))
    ).filter((s) => !s.certificateId && s.status === 'settled');
    const inputs: (RecordIssueInput & { setlId: string })[] = [];
    if (rows.length > 0) {
      const [persons, encounters, lineRows] = await Promise.all([
        db
          .select()
          .from(insurancePersons)
          .where(inArray(insurancePersons.psnNo, [...new Set(rows.map((s) => s.psnNo))])),
        db
          .select()
          .from(insuranceEncounters)
          .where(
            inArray(
              insuranceEncounters.mdtrtId,
              rows.map((s) => s.mdtrtId),
            ),
          ),
        db
          .select({ mdtrtId: insuranceFeeLines.mdtrtId, sn: insuranceFeeLines.feedetlSn, name: insuranceFeeLines.nameZh })
          .from(insuranceFeeLines)
          .where(
            inArray(
              insuranceFeeLines.mdtrtId,
              rows.map((s) => s.mdtrtId),
            ),
          ),
      ]);
      const person = new Map(persons.map((p) => [p.psnNo, p]));
      const encounter = new Map(encounters.map((e) => [e.mdtrtId, e]));
      const lineNames = new Map<string, Map<string, string>>();
      for (const l of lineRows) {
        if (!lineNames.has(l.mdtrtId)) lineNames.set(l.mdtrtId, new Map());
        lineNames.get(l.mdtrtId)!.set(l.sn, l.name);
      }
      // Read once per institution and region (a batch comes from a few hospitals and regions).
      const once = <T>(cache: Map<string, Promise<T>>, code: string, read: (code: string) => Promise<T>) => {
        if (!cache.has(code)) cache.set(code, read(code));
        return cache.get(code)!;
      };
      const institutions = new Map<string, ReturnType<ReferenceData['institution']>>();
      const regions = new Map<string, ReturnType<ReferenceData['region']>>();
      const issuers = new Map<string, ReturnType<typeof issuerOf>>();
      for (const [i, s] of rows.entries()) {
        const p = person.get(s.psnNo);
        const e = encounter.get(s.mdtrtId);
        if (!p || !e) continue;
        // Each statement's text is some work (every line with its why): requests of this process go between.
        if (i % 16 === 15) await yieldToIo();
        const [institution, region, org] = await Promise.all([
          once(institutions, s.institutionCode, (c) => reference.institution(c)),
          once(regions, s.insuranceRegion, (c) => reference.region(c)),
          once(issuers, s.insuranceRegion, (c) => issuerOf(ctx, reference, c)),
        ]);
        inputs.push({
          setlId: s.setlId,
          key: derivedUuid('statement', s.setlId),
          type: STATEMENT_TYPE,
          orgCode: org.code,
          holderId: p.accountId ?? derivedUuid('person', p.psnNo),
          holder: { name: p.name, residentIdMasked: p.idMasked },
          values: statementValues(s, p, {
            institution: institution?.nameZh ?? s.institutionCode,
            insuranceRegion: region?.nameZh ?? '',
            beginDate: e.beginDate,
            lineNames: lineNames.get(s.mdtrtId) ?? new Map(),
          }),
          actorId: statementActor(org).accountId,
        });
      }
    }
    if (inputs.length === 0 && !markHandled) return;
    const prepared = inputs.length > 0 ? await deps.certificates.prepareRecordIssue(inputs) : null;
    await db.transaction(async (tx) => {
      if (prepared) {
        // Locked against a concurrent cancellation (in one order, as every batch locks them): a
        // statement is issued only while its settlement stands.
        const ids = inputs.map((i) => i.setlId);
        const locked = await tx
          .select({
            setlId: insuranceSettlements.setlId,
            certificateId: insuranceSettlements.certificateId,
            status: insuranceSettlements.status,
          })
          .from(insuranceSettlements)
          .where(inArray(insuranceSettlements.setlId, ids))
          .orderBy(asc(insuranceSettlements.setlId))
          .for('update');
        // Those cancelled (or sealed elsewhere) since the read are left out; the rest are issued.
        const standing = new Set(locked.filter((l) => !l.certificateId && l.status === 'settled').map((l) => l.setlId));
        const mine = inputs.filter((i) => standing.has(i.setlId));
        if (mine.length > 0) {
          const issued = await prepared(tx, new Set(mine.map((i) => i.key)));
          const pairs = mine.map(({ key, setlId }) => {
            const cert = issued.get(key);
            if (!cert) throw new Error(`statement of ${setlId} not issued`);
            return { setlId, certificateId: cert.id };
          });
          // One statement for the batch.
          await tx.execute(sql`
            update ${insuranceSettlements} set certificate_id = v.certificate_id
              from unnest(${sql.param(pairs.map((p) => p.setlId))}::text[], ${sql.param(pairs.map((p) => p.certificateId))}::uuid[])
                   as v(setl_id, certificate_id)
             where ${insuranceSettlements.setlId} = v.setl_id`);
        }
      }
      if (markHandled) await markHandled(tx);
    });
  }

  async function revoke(setlId: string, how: string) {
    const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
    if (!s?.certificateId || s.status !== 'cancelled') return;
    const actor = statementActor(await issuerOf(ctx, reference, s.insuranceRegion));
    const current = await deps.certificates.get(actor, s.certificateId);
    if (current.status === 'revoked') return;
    const reason = how === 'reversed' ? '结算已冲正 the settlement was reversed (2601)' : '结算已撤销 the settlement was cancelled (2305)';
    await deps.certificates.changeStatus(actor, s.certificateId, 'revoked', reason);
  }

  return {
    handlers: [
      {
        name: 'insurance.issue-statement',
        topics: [SETTLED_TOPIC],
        async handle(event, handling) {
          const { setlId } = event.payload;
          if (typeof setlId === 'string') await issue([setlId], (tx) => handling.markHandled(tx));
        },
        // A batch of settlements at once: one transaction for all their statements, and a loop of
        // its own taking up to 50 every quarter second, at once again while batches come full (a
        // statement costs a few times more in the other loops' batches of 16 or fewer under load;
        // 200 once a second cost the same per statement as 50 but held the window's requests
        // longer: p99 at 100 settlements/s 276 → 113 and 818 → 358 ms, bench/RESULTS.md).
        cadence: { batchSize: 50, intervalMs: 250 },
        async handleMany(events) {
          const ids = events.map((e) => e.payload.setlId).filter((id): id is string => typeof id === 'string');
          if (ids.length > 0) await issue(ids);
        },
      },
      {
        name: 'insurance.revoke-statement',
        topics: [CANCELLED_TOPIC],
        async handle(event) {
          const { setlId, how } = event.payload;
          if (typeof setlId === 'string') await revoke(setlId, typeof how === 'string' ? how : 'cancelled');
        },
      },
    ] satisfies EventHandler[],

    /** The statement's PDF, for the insured person or the office of the settlement's region. */
    statementPdf: async (principal: Principal, setlId: string): Promise<{ identifier: string; bytes: Uint8Array }> => {
      const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
      if (!s) throw new AppError('NOT_FOUND', { what: 'settlement' });
      if (principal.kind === 'staff' || principal.kind === 'system') {
        if (!(await access.visibleRegions(principal)).includes(s.insuranceRegion)) throw new AppError('NOT_FOUND', { what: 'settlement' });
      } else {
        const p = await access.personOfResident(principal);
        if (!p || p.psnNo !== s.psnNo) throw new AppError('NOT_FOUND', { what: 'settlement' });
      }
      // Not sealed yet (the event is handled within a second or so).
      if (!s.certificateId) throw notFound('certificate');
      return deps.certificates.pdf(statementActor(await issuerOf(ctx, reference, s.insuranceRegion)), s.certificateId);
    },
  };
}
