import type { SettlementPolicy } from './settlement.ts';

/** 职工 (employees, with a personal account) or 城乡居民 (urban and rural residents). */
export type Scheme = 'employee' | 'resident';
/** 一级 / 二级 / 三级 designated institutions. */
export type HospitalLevel = 1 | 2 | 3;
/** Where the treatment is, seen from the place of insurance. */
export type Where = 'local' | 'province' | 'other_province';

type ByLevel = Record<HospitalLevel, number>;

/**
 * The policy of one place of insurance (参保地政策) as dated, versioned data: what a settlement
 * applies for its scheme, the hospital's level and where the treatment is. Money in fen, shares in
 * per mille.
 */
export interface RegionPolicy {
  /** The place of insurance: a division code (450800 贵港市). */
  region: string;
  version: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  /** The document it applies. */
  legalBasis: string;
  /** 起付线 of the year's first stay. */
  deductibleFen: Record<Scheme, ByLevel>;
  /** The second and later stays of a year pay this share of it (500: half). */
  laterStayDeductiblePermille: number;
  /** The fund's share where the insured lives. */
  ratioPermille: Record<Scheme, ByLevel>;
  /**
   * Away from home, in points per mille below the local share: elsewhere in the province (with
   * no filing: Guangxi since July 2026, 0, the same as at home), in another province with a filing,
   * and without one. An emergency counts as filed.
   */
  awayReduction: { province: number; otherProvinceFiled: number; otherProvinceUnfiled: number };
  yearCapFen: Record<Scheme, number>;
  classBSelfPayPermille: number;
}

export interface Encounter {
  region: string;
  scheme: Scheme;
  level: HospitalLevel;
  where: Where;
  filed: boolean;
  emergency: boolean;
  /** 1 for the year's first stay. */
  stayNumber: number;
  /** The date of admission, YYYY-MM-DD: the version in force then applies. */
  date: string;
}

/** No version of the place of insurance's policy covers the encounter. */
export class NoPolicyError extends Error {
  constructor(region: string, date: string) {
    super(`no policy of ${region} in force on ${date}`);
    this.name = 'NoPolicyError';
  }
}

/** The version in force on the date at the place of insurance, resolved for the encounter. */
export function resolvePolicy(policies: readonly RegionPolicy[], e: Encounter): SettlementPolicy {
  const p = policies
    .filter((x) => x.region === e.region && x.effectiveFrom <= e.date && (x.effectiveTo === null || x.effectiveTo >= e.date))
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
  if (!p) throw new NoPolicyError(e.region, e.date);
  const first = p.deductibleFen[e.scheme][e.level];
  const deductibleFen = e.stayNumber > 1 ? Math.floor((first * p.laterStayDeductiblePermille) / 1000) : first;
  const reduction =
    e.where === 'local'
      ? 0
      : e.where === 'province'
        ? p.awayReduction.province
        : e.filed || e.emergency
          ? p.awayReduction.otherProvinceFiled
          : p.awayReduction.otherProvinceUnfiled;
  return {
    version: `${p.region}-${p.version}`,
    legalBasis: p.legalBasis,
    deductibleFen,
    fundRatioPermille: Math.max(0, p.ratioPermille[e.scheme][e.level] - reduction),
    yearCapFen: p.yearCapFen[e.scheme],
    classBSelfPayPermille: p.classBSelfPayPermille,
  };
}
