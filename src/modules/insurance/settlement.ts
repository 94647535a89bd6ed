/**
 * The settlement engine of medical insurance (医保结算), a pure function over integer fen: from an
 * encounter's fee lines and the policy of the place of insurance (参保地政策) applied to the
 * catalogue of the place of treatment (就医地目录: each line's class and price limit), per line the
 * full self-pay amount (fulamt_ownpay_amt: class C, 丙类), the over-limit self-pay
 * (overlmt_selfpay: above the catalogue's price limit), the class-B self-pay first (preselfpay_amt,
 * 乙类先行自付) and the in-scope amount (inscp_amt); then the deductible (起付线), the fund's payment
 * (hifp_pay) under the year's cap (封顶线), the personal account (acct_pay) and cash (cash_payamt).
 * Every line and total says why, with the policy version and its legal basis. Field names follow
 * the national platform's hospital interface (2303 pre-settlement, 2304 settlement).
 *
 * Invariants (settlement.test.ts, fast-check): the parts add up to the total exactly; nothing is
 * negative; the year's fund payments never pass the cap; the result does not depend on the order
 * of the lines; settling, reversing and settling again is one settlement.
 */

/** 甲类 (fully in scope), 乙类 (in scope after a self-paid share), 丙类 (not in scope). */
export type ItemClass = 'A' | 'B' | 'C';

export interface FeeLine {
  /** The hospital's line id (feedetl_sn). */
  id: string;
  /** The national code of the drug, service item or consumable. */
  code: string;
  itemClass: ItemClass;
  /** Whole units (the hospital uploads integral quantities of its billing unit). */
  quantity: number;
  unitPriceFen: number;
  /** The catalogue's price limit per unit at the place of treatment; null: none. */
  priceLimitFen: number | null;
}

/** The policy of the place of insurance for this encounter, already resolved for its scheme, hospital level and where. */
export interface SettlementPolicy {
  /** e.g. '450800-2026-07' (贵港市, in force from July 2026). */
  version: string;
  legalBasis: string;
  /** 起付线 of this stay (by hospital level and the number of stays this year). */
  deductibleFen: number;
  /** The fund's share of what is in scope above the deductible, in per mille. */
  fundRatioPermille: number;
  /** 封顶线: the most the fund pays for one person in a year. */
  yearCapFen: number;
  /** 乙类先行自付: the share of a class-B amount the insured pays first, in per mille. */
  classBSelfPayPermille: number;
}

/** What the person has used this year before this encounter. */
export interface YearToDate {
  deductibleUsedFen: number;
  fundPaidFen: number;
}

export interface Explanation {
  rule: string;
  zh: string;
  en: string;
  policy: string;
  basis: string;
}

export interface SettledLine {
  id: string;
  totalFen: number;
  fulamtOwnpayFen: number;
  overlmtSelfpayFen: number;
  preselfpayFen: number;
  inscpFen: number;
  why: Explanation[];
}

export interface Settlement {
  lines: SettledLine[];
  totalFen: number;
  fulamtOwnpayFen: number;
  overlmtSelfpayFen: number;
  preselfpayFen: number;
  inscpFen: number;
  deductibleFen: number;
  hifpPayFen: number;
  acctPayFen: number;
  cashPayFen: number;
  why: Explanation[];
  /** The year's totals after this settlement (what a reversal gives back). */
  yearAfter: YearToDate;
}

/** A bad input: settled nothing. */
export class SettlementInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettlementInputError';
  }
}

const isFen = (n: number) => Number.isSafeInteger(n) && n >= 0;

function check(lines: readonly FeeLine[], policy: SettlementPolicy, year: YearToDate, accountBalanceFen: number): void {
  const ids = new Set<string>();
  for (const l of lines) {
    if (ids.has(l.id)) throw new SettlementInputError(`line ${l.id} appears twice`);
    ids.add(l.id);
    if (!Number.isSafeInteger(l.quantity) || l.quantity < 0) throw new SettlementInputError(`line ${l.id}: quantity`);
    if (!isFen(l.unitPriceFen) || (l.priceLimitFen !== null && !isFen(l.priceLimitFen)))
      throw new SettlementInputError(`line ${l.id}: price`);
    if (!Number.isSafeInteger(l.quantity * l.unitPriceFen)) throw new SettlementInputError(`line ${l.id}: amount too large`);
  }
  const permille = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= 1000;
  if (
    !isFen(policy.deductibleFen) ||
    !isFen(policy.yearCapFen) ||
    !permille(policy.fundRatioPermille) ||
    !permille(policy.classBSelfPayPermille)
  )
    throw new SettlementInputError('policy');
  if (!isFen(year.deductibleUsedFen) || !isFen(year.fundPaidFen) || !isFen(accountBalanceFen))
    throw new SettlementInputError('year to date or account');
}

/** Settles one encounter; `accountBalanceFen` is the employee's personal account (0 for residents' scheme). */
export function settle(lines: readonly FeeLine[], policy: SettlementPolicy, year: YearToDate, accountBalanceFen = 0): Settlement {
  check(lines, policy, year, accountBalanceFen);
  const why = (rule: string, zh: string, en: string): Explanation => ({ rule, zh, en, policy: policy.version, basis: policy.legalBasis });
  const settled = lines.map((l): SettledLine => {
    const totalFen = l.quantity * l.unitPriceFen;
    if (l.itemClass === 'C') {
      return {
        id: l.id,
        totalFen,
        fulamtOwnpayFen: totalFen,
        overlmtSelfpayFen: 0,
        preselfpayFen: 0,
        inscpFen: 0,
        why: [why('class-c', '丙类项目，全部自费', 'Class C: paid in full by the insured')],
      };
    }
    const allowedUnit = l.priceLimitFen === null ? l.unitPriceFen : Math.min(l.unitPriceFen, l.priceLimitFen);
    const overlmtSelfpayFen = (l.unitPriceFen - allowedUnit) * l.quantity;
    const allowed = totalFen - overlmtSelfpayFen;
    const preselfpayFen = l.itemClass === 'B' ? Math.floor((allowed * policy.classBSelfPayPermille) / 1000) : 0;
    const reasons = [
      l.itemClass === 'B'
        ? why(
            'class-b',
            `乙类项目，先行自付 ${policy.classBSelfPayPermille / 10}%`,
            `Class B: ${policy.classBSelfPayPermille / 10}% paid first`,
          )
        : why('class-a', '甲类项目，全部纳入支付范围', 'Class A: fully in scope'),
    ];
    if (overlmtSelfpayFen > 0) reasons.push(why('over-limit', '超出支付标准的部分自费', 'Above the price limit: paid by the insured'));
    return { id: l.id, totalFen, fulamtOwnpayFen: 0, overlmtSelfpayFen, preselfpayFen, inscpFen: allowed - preselfpayFen, why: reasons };
  });
  const sum = (pick: (l: SettledLine) => number) => settled.reduce((s, l) => s + pick(l), 0);
  const totalFen = sum((l) => l.totalFen);
  const inscpFen = sum((l) => l.inscpFen);
  const deductibleFen = Math.min(inscpFen, policy.deductibleFen);
  const fundRaw = Math.floor(((inscpFen - deductibleFen) * policy.fundRatioPermille) / 1000);
  const capLeft = Math.max(0, policy.yearCapFen - year.fundPaidFen);
  const hifpPayFen = Math.min(fundRaw, capLeft);
  const acctPayFen = Math.min(accountBalanceFen, totalFen - hifpPayFen);
  const reasons = [
    why('deductible', '起付线以下由个人支付', 'Below the deductible: paid by the insured'),
    why(
      'fund-ratio',
      `起付线以上的合规费用，基金支付 ${policy.fundRatioPermille / 10}%`,
      `Above the deductible: the fund pays ${policy.fundRatioPermille / 10}%`,
    ),
  ];
  if (hifpPayFen < fundRaw) reasons.push(why('year-cap', '已达年度最高支付限额', 'The year’s cap is reached'));
  return {
    lines: settled,
    totalFen,
    fulamtOwnpayFen: sum((l) => l.fulamtOwnpayFen),
    overlmtSelfpayFen: sum((l) => l.overlmtSelfpayFen),
    preselfpayFen: sum((l) => l.preselfpayFen),
    inscpFen,
    deductibleFen,
    hifpPayFen,
    acctPayFen,
    cashPayFen: totalFen - hifpPayFen - acctPayFen,
    why: reasons,
    yearAfter: { deductibleUsedFen: year.deductibleUsedFen + deductibleFen, fundPaidFen: year.fundPaidFen + hifpPayFen },
  };
}

/** 冲正 / 结算撤销: the year's totals with a settlement taken back. */
export function reverse(settlement: Settlement, year: YearToDate): YearToDate {
  const back = {
    deductibleUsedFen: year.deductibleUsedFen - settlement.deductibleFen,
    fundPaidFen: year.fundPaidFen - settlement.hifpPayFen,
  };
  if (back.deductibleUsedFen < 0 || back.fundPaidFen < 0) throw new SettlementInputError('reversal of a settlement the year does not hold');
  return back;
}

/**
 * A settlement as it is stored and answered: each line and total names its rules by id, and the
 * rules' words, the policy version and its legal basis are said once (one settlement is under one
 * policy, and a rule's words do not vary within it). About a third of the full form's size for a
 * 30-line stay. `expandSettlement` gives the full form back, each line with its explanations.
 */
export interface CompactSettlement extends Omit<Settlement, 'lines' | 'why'> {
  lines: (Omit<SettledLine, 'why'> & { why: string[] })[];
  why: string[];
  explain: { policy: string; basis: string; rules: Record<string, { zh: string; en: string }> };
}

export function compactSettlement(s: Settlement): CompactSettlement {
  const first = s.why[0];
  const rules: Record<string, { zh: string; en: string }> = {};
  const ids = (why: readonly Explanation[]) =>
    why.map((w) => {
      rules[w.rule] ??= { zh: w.zh, en: w.en };
      return w.rule;
    });
  return {
    ...s,
    lines: s.lines.map((l) => ({ ...l, why: ids(l.why) })),
    why: ids(s.why),
    explain: { policy: first?.policy ?? '', basis: first?.basis ?? '', rules },
  };
}

/** The full form of a stored settlement, compact or (rows written before the compact form) full already. */
export function expandSettlement(s: CompactSettlement | Settlement): Settlement {
  if (!('explain' in s)) return s;
  const { explain, ...rest } = s;
  const words = (ids: readonly string[]): Explanation[] =>
    ids.map((rule) => ({ rule, ...(explain.rules[rule] ?? { zh: rule, en: rule }), policy: explain.policy, basis: explain.basis }));
  return { ...rest, lines: s.lines.map((l) => ({ ...l, why: words(l.why) })), why: words(s.why) };
}
