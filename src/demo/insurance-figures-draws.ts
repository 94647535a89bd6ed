import type { HistoricalCase } from '../modules/applications/index.ts';
import { chinaDate } from '../core/values.ts';
import { chinaDayStart, type FiguresItem, type WorkingClock } from '../modules/insurance/index.ts';

/**
 * The drawn cases of the medical insurance before-and-after generator (insurance-figures-demo.ts):
 * what is drawn for each case, how a draw is put on the working-day calendar, and the one fitted
 * scale. Pure: no database.
 */

export const BEFORE_YEAR = 2025;
export const AFTER_YEAR = 2026;
/** The seed story's figures: 85 % → 100 % online, 8.22 → 6.35 working days. */
export const SEED_BEFORE_DAYS = 8.22;
export const SEED_AFTER_DAYS = 6.35;

/** Counter-only before: original paper invoices, an on-site assessment or inspection. */
export const COUNTER_ONLY_BEFORE: readonly string[] = [
  'medsec.offsite_reimbursement',
  'medsec.manual_reimbursement',
  'medsec.injury_reimbursement',
  'medsec.chronic_disease',
  'medsec.institution_designation',
  'medsec.pharmacy_designation',
];

export const FILING = 'medsec.offsite_filing';

/** Cases a year per unit of `scale`, relative: filings, enrolment, records and reimbursements are common; designations rare. */
export const DEMAND: Readonly<Record<string, number>> = {
  'medsec.offsite_filing': 10,
  'medsec.resident_enrolment': 4,
  'medsec.enrolment_certificate': 4,
  'medsec.contribution_record': 4,
  'medsec.employee_enrolment': 3,
  'medsec.person_change': 3,
  'medsec.resident_contribution': 3,
  'medsec.offsite_reimbursement': 3,
  'medsec.manual_reimbursement': 3,
  'medsec.chronic_disease': 3,
  'medsec.e_voucher': 2,
  'medsec.flexible_contribution': 2,
  'medsec.offsite_filing_change': 2,
  'medsec.offsite_filing_cancel': 2,
  'medsec.special_drugs': 2,
  'medsec.referral': 2,
  'medsec.maternity_medical': 2,
  'medsec.maternity_allowance': 2,
  'medsec.account_family_sharing': 2,
  'medsec.institution_designation': 0.1,
  'medsec.pharmacy_designation': 0.2,
  'medsec.institution_change': 0.3,
  'medsec.employer_deregistration': 0.5,
  'medsec.ltc_assessment': 0.5,
};

const RETURNED_SHARE = 0.05;
const REJECTED_SHARE = 0.05;
export const SUSPENDED_FILER_SHARE = 0.05;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One case's random draws, fixed before the scale is fitted (so the fit only stretches them). */
export interface Draw {
  code: string;
  limit: number;
  s: number;
  uDay: number;
  uTime: number;
  uDecision: number;
  counter: boolean;
  channel: string;
  returned: { share: number; pauseDays: number; uTime: number; uTimeBack: number } | null;
  rejected: boolean;
  applicant: number;
  officer: number;
}

export function drawCases(
  random: () => number,
  items: readonly FiguresItem[],
  limitOf: (i: FiguresItem) => number,
  scale: number,
  year: number,
): Draw[] {
  const draws: Draw[] = [];
  for (const item of items) {
    if (year === AFTER_YEAR && item.code === FILING) continue; // submitted through the real flow
    const n = Math.max(2, Math.round((DEMAND[item.code] ?? 1) * scale));
    const counterOnly = !item.online || !item.channels.includes('app');
    for (let i = 0; i < n; i++) {
      const s = (random() + random() + random()) / 3;
      const c = random();
      const counter = counterOnly || (year === BEFORE_YEAR ? c < 0.5 : c < 0.15);
      const channel = counter ? 'window' : year === BEFORE_YEAR ? 'app' : c < 0.25 ? 'kiosk' : c < 0.3 ? 'helper' : 'app';
      const returned =
        random() < RETURNED_SHARE
          ? { share: 0.2 + 0.4 * random(), pauseDays: 1 + Math.floor(random() * 7), uTime: random(), uTimeBack: random() }
          : null;
      draws.push({
        code: item.code,
        limit: limitOf(item),
        s,
        uDay: random(),
        uTime: random(),
        uDecision: random(),
        counter,
        channel,
        returned,
        rejected: random() < REJECTED_SHARE,
        applicant: Math.floor(random() * 1e6),
        officer: Math.floor(random() * 1e6),
      });
    }
  }
  return draws;
}

/** An instant on the China day of `t` at `hours` (fractional) o'clock. */
export function atHour(t: Date, hours: number): Date {
  return new Date(chinaDayStart(chinaDate(t)).getTime() + hours * HOUR);
}

/** An officer acts on a working day between 09:00 and 17:30, after what came before. */
export function officeHours(t: Date, after: Date, u: number): Date {
  const local = (t.getTime() - chinaDayStart(chinaDate(t)).getTime()) / HOUR;
  let out = local < 9 || local > 17.5 ? atHour(t, 9 + 8.5 * u) : t;
  if (out.getTime() <= after.getTime()) out = new Date(after.getTime() + (10 + 50 * u) * 60_000);
  return out;
}

export interface Placed {
  submitted: Date;
  returned: { at: Date; resubmitted: Date } | null;
  decided: Date;
  /** Working days as the figures count them. */
  workingDays: number;
}

/** Puts a drawn case on the calendar of `year` with working time limit × s × scale. */
export function place(d: Draw, scale: number, clock: WorkingClock, year: number): Placed {
  const w = Math.max(0.02, d.limit * d.s * scale);
  const start = clock.at(chinaDayStart(`${year}-01-01`));
  const end = clock.at(chinaDayStart(`${year}-12-31`));
  const latest = Math.max(start + 0.01, end - w - (d.returned ? d.returned.pauseDays + 2 : 1));
  let submitted: Date;
  if (d.counter) {
    submitted = atHour(clock.instantAt(start + d.uDay * (latest - start)), 9 + 8 * d.uTime);
  } else {
    const first = chinaDayStart(`${year}-01-01`).getTime();
    const day = new Date(first + Math.floor((d.uDay * (clock.instantAt(latest).getTime() - first)) / DAY) * DAY);
    submitted = atHour(day, 8 + 14 * d.uTime);
  }
  let active = w;
  let from = submitted;
  let returned: Placed['returned'] = null;
  if (d.returned) {
    const at = officeHours(clock.instantAt(clock.at(submitted) + w * d.returned.share), submitted, d.returned.uTime);
    const resubmitted = atHour(new Date(at.getTime() + d.returned.pauseDays * DAY), 8 + 14 * d.returned.uTimeBack);
    returned = { at, resubmitted };
    active = w - (clock.at(at) - clock.at(submitted));
    from = resubmitted;
  }
  const decided = officeHours(clock.instantAt(clock.at(from) + Math.max(active, 0)), from, d.uDecision);
  const paused = returned ? clock.at(returned.resubmitted) - clock.at(returned.at) : 0;
  return { submitted, returned, decided, workingDays: clock.at(decided) - clock.at(submitted) - paused };
}

/** The figures' headline: the mean over services of each service's average working days. */
export function perServiceMean(draws: readonly Draw[], placed: readonly Placed[]): number {
  const sums = new Map<string, { n: number; days: number }>();
  draws.forEach((d, i) => {
    const s = sums.get(d.code) ?? { n: 0, days: 0 };
    s.n++;
    s.days += placed[i]!.workingDays;
    sums.set(d.code, s);
  });
  const means = [...sums.values()].map((s) => s.days / s.n);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

/**
 * The scale at which the before year's per-service mean is closest to `target`. The mean grows with
 * the scale but not smoothly (officers act in office hours, so a decision pushed past 17:30 moves
 * to the next morning): bisection first, then a fine scan around its answer.
 */
export function fitScale(draws: readonly Draw[], clock: WorkingClock, target: number): number {
  const meanAt = (c: number) =>
    perServiceMean(
      draws,
      draws.map((d) => place(d, c, clock, BEFORE_YEAR)),
    );
  let lo = 0.05;
  let hi = 5;
  for (let i = 0; i < 40 && hi - lo > 1e-5; i++) {
    const mid = (lo + hi) / 2;
    if (meanAt(mid) < target) lo = mid;
    else hi = mid;
  }
  let best = (lo + hi) / 2;
  let error = Math.abs(meanAt(best) - target);
  for (let k = -100; k <= 100 && error > 2e-3; k++) {
    const c = best * (1 + k * 2e-4);
    const e = Math.abs(meanAt(c) - target);
    if (e < error) [best, error] = [c, e];
  }
  return best;
}

export function historyOf(
  d: Draw,
  p: Placed,
  at: { orgCode: string; orgPath: string },
  people: { applicants: readonly string[]; officers: readonly string[] },
): HistoricalCase {
  const applicant = people.applicants[d.applicant % people.applicants.length]!;
  const officer = people.officers[d.officer % people.officers.length]!;
  const decision = d.rejected ? 'rejected' : 'approved';
  const reason = d.rejected ? '不符合办理条件 · the conditions are not met' : null;
  const events: HistoricalCase['events'] = [
    { action: 'submit', from: null, to: 'draft', actorId: applicant, channel: d.channel, at: p.submitted },
    { action: 'submit', from: 'draft', to: 'submitted', actorId: applicant, channel: d.channel, at: p.submitted },
  ];
  if (p.returned) {
    events.push(
      {
        action: 'return',
        from: 'submitted',
        to: 'returned',
        actorId: officer,
        channel: 'app',
        reason: '材料不全，请补正 · please complete the materials',
        at: p.returned.at,
      },
      { action: 'resubmit', from: 'returned', to: 'submitted', actorId: applicant, channel: 'app', at: p.returned.resubmitted },
    );
  }
  events.push({
    action: d.rejected ? 'reject' : 'approve',
    from: 'submitted',
    to: decision,
    actorId: officer,
    channel: 'app',
    reason,
    at: p.decided,
  });
  return {
    serviceCode: d.code,
    applicantId: applicant,
    orgCode: at.orgCode,
    orgPath: at.orgPath,
    channel: d.channel,
    form: {},
    submittedAt: p.returned?.resubmitted ?? p.submitted,
    dueDate: null,
    decision: { decision, by: officer, at: p.decided, reason },
    events,
  };
}
