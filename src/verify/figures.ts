/**
 * The public 好差评 figures of a month, computed from `rating.v1` ledger leaves alone (see
 * src/modules/ratings/leaf.ts for the leaf format). The same pure function publishes them on the
 * server and recomputes them in `yiban figures verify` and on the public page. Browser-safe.
 *
 * A period is a calendar month in China time (UTC+8). Its figures count the ratings given in the
 * month (`rated` leaves with `at` in it) and the later steps of those ratings (rectification,
 * callback, appeal) up to the cut-off: the month's end plus the publication delay. A rating set
 * aside on appeal (`appeal.decided` overturned before the cut-off) counts no more, anywhere.
 *
 * Anonymised the Estonian way: the leaves hold no person and hour-rounded times; a period is
 * published only after its cut-off; and a count from 1 to k − 1 is never shown: it becomes
 * `"suppressed"`, as does a rate whose numerator or denominator is. (Zero is shown: it names
 * nobody. Differences between an org and its parts are not protected against.)
 */
export const SUPPRESSED = 'suppressed' as const;
export type Count = number | typeof SUPPRESSED;
/** null: nothing to divide by. */
export type Rate = number | null | typeof SUPPRESSED;

export interface FigureCell {
  /** Ratings given in the period and not set aside on appeal. */
  ratings: Count;
  /** Levels 4–5 (满意, 非常满意). */
  good: Count;
  goodRate: Rate;
  /** Levels 1–2 (不满意, 非常不满意). */
  bad: Count;
  /** Ratings of the period set aside on appeal (not counted above). */
  overturned: Count;
  /** Rectification tasks opened for the bad ratings. */
  rectifications: Count;
  rectified: Count;
  rectifiedOnTime: Count;
  /** Answered on time ÷ tasks answered or past their deadline by the cut-off. */
  rectifiedOnTimeRate: Rate;
  escalated: Count;
  realNameBad: Count;
  calledBack: Count;
  /** Real-name bad ratings with a callback ÷ real-name bad ratings (51号文: 100 %). */
  callbackRate: Rate;
}

export interface OrgFigures {
  /** The org and every org below it (by `orgs`), all services. */
  total: FigureCell;
  /** Per service item code, same subtree. */
  services: Record<string, FigureCell>;
}

export interface FiguresTable {
  period: string;
  /** Periods start and end in China time; ISO UTC instants. */
  from: string;
  to: string;
  cutoff: string;
  k: number;
  delayDays: number;
  /** By org code, sorted. */
  orgs: Record<string, OrgFigures>;
}

export interface FiguresOptions {
  /** Counts from 1 to k − 1 are suppressed (default 5). */
  k?: number;
  /** Days after the month's end before it is published; later steps count until then (default 3). */
  delayDays?: number;
  /** Each org's parent (null at the top): figures roll up along it. Orgs not named stand alone. */
  parents?: Readonly<Record<string, string | null>>;
}

export const DEFAULT_K = 5;
export const DEFAULT_DELAY_DAYS = 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHINA = 8 * HOUR;

export interface Period {
  id: string;
  from: Date;
  to: Date;
}

/** `2026-11` → the month in China time; null when not a month. */
export function parsePeriod(id: string): Period | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(id);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  return { id, from: new Date(Date.UTC(year, month - 1, 1) - CHINA), to: new Date(Date.UTC(year, month, 1) - CHINA) };
}

/** When the period's figures may be published: its end plus the delay. */
export function cutoffOf(period: Period, delayDays: number): Date {
  return new Date(period.to.getTime() + delayDays * DAY);
}

/** The fields of `rating.v1` leaves the figures read (a browser-safe twin of the server's decoder). */
export interface FigureLeaf {
  kind: 'rating.v1';
  event: string;
  rating: string;
  org: string;
  service: string;
  at: string;
  level?: number;
  realName?: boolean;
  rectification?: string;
  deadline?: string;
  onTime?: boolean;
  decision?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A `rating.v1` leaf from its bytes, or null when the bytes are not one. */
export function parseRatingLeaf(data: Uint8Array): FigureLeaf | null {
  if (data[0] !== 0x7b) return null; // '{': every rating leaf is a JSON object
  try {
    const v = JSON.parse(decoder.decode(data)) as Partial<FigureLeaf>;
    if (v.kind !== 'rating.v1' || typeof v.event !== 'string' || typeof v.rating !== 'string') return null;
    if (typeof v.org !== 'string' || typeof v.service !== 'string' || typeof v.at !== 'string' || Number.isNaN(Date.parse(v.at)))
      return null;
    return v as FigureLeaf;
  } catch {
    return null;
  }
}

interface Raw {
  ratings: number;
  good: number;
  bad: number;
  overturned: number;
  rectifications: number;
  rectified: number;
  rectifiedOnTime: number;
  due: number;
  escalated: number;
  realNameBad: number;
  calledBack: number;
}

const emptyRaw = (): Raw => ({
  ratings: 0,
  good: 0,
  bad: 0,
  overturned: 0,
  rectifications: 0,
  rectified: 0,
  rectifiedOnTime: 0,
  due: 0,
  escalated: 0,
  realNameBad: 0,
  calledBack: 0,
});

interface Track {
  leaf: FigureLeaf;
  overturned: boolean;
  calledBack: boolean;
  /** Rectification id → what happened. */
  tasks: Map<string, { deadline: string; replied: boolean; onTime: boolean; escalated: boolean }>;
}

/** The China date (YYYY-MM-DD) of an instant. */
const chinaDay = (t: number) => new Date(t + CHINA).toISOString().slice(0, 10);

/** The figures of `period` from the given leaves (any order; leaves of other periods are ignored). */
export function computeFigures(leaves: Iterable<FigureLeaf>, period: Period, options: FiguresOptions = {}): FiguresTable {
  const k = options.k ?? DEFAULT_K;
  const delayDays = options.delayDays ?? DEFAULT_DELAY_DAYS;
  const from = period.from.getTime();
  const to = period.to.getTime();
  const cutoff = cutoffOf(period, delayDays).getTime();
  const tracks = new Map<string, Track>();
  const steps: FigureLeaf[] = [];
  for (const leaf of leaves) {
    const at = Date.parse(leaf.at);
    if (leaf.event === 'rated') {
      if (at >= from && at < to) tracks.set(leaf.rating, { leaf, overturned: false, calledBack: false, tasks: new Map() });
    } else if (at < cutoff) steps.push(leaf);
  }
  for (const step of steps) {
    const track = tracks.get(step.rating);
    if (!track) continue;
    const taskId = step.rectification ?? '';
    const task = () => {
      let t = track.tasks.get(taskId);
      if (!t) track.tasks.set(taskId, (t = { deadline: step.deadline ?? '', replied: false, onTime: false, escalated: false }));
      return t;
    };
    switch (step.event) {
      case 'appeal.decided':
        if (step.decision === 'overturned') track.overturned = true;
        break;
      case 'callback':
        track.calledBack = true;
        break;
      case 'rectification.opened':
        task();
        break;
      case 'rectification.replied': {
        const t = task();
        t.replied = true;
        t.onTime = step.onTime === true;
        break;
      }
      case 'rectification.escalated':
        task().escalated = true;
        break;
    }
  }

  const cutoffDay = chinaDay(cutoff);
  const totals = new Map<string, Raw>();
  const perService = new Map<string, Map<string, Raw>>();
  const ancestors = (org: string): string[] => {
    const out: string[] = [];
    for (let code: string | null | undefined = org; code && !out.includes(code); code = options.parents?.[code]) out.push(code);
    return out;
  };
  for (const track of tracks.values()) {
    const { leaf } = track;
    const level = leaf.level ?? 0;
    const cellsOf = ancestors(leaf.org).flatMap((org) => {
      if (!totals.has(org)) totals.set(org, emptyRaw());
      let services = perService.get(org);
      if (!services) perService.set(org, (services = new Map<string, Raw>()));
      if (!services.has(leaf.service)) services.set(leaf.service, emptyRaw());
      return [totals.get(org)!, services.get(leaf.service)!];
    });
    for (const raw of cellsOf) {
      if (track.overturned) {
        raw.overturned++;
        continue;
      }
      raw.ratings++;
      if (level >= 4) raw.good++;
      if (level >= 1 && level <= 2) {
        raw.bad++;
        if (leaf.realName) {
          raw.realNameBad++;
          if (track.calledBack) raw.calledBack++;
        }
        for (const t of track.tasks.values()) {
          raw.rectifications++;
          if (t.replied) raw.rectified++;
          if (t.replied && t.onTime) raw.rectifiedOnTime++;
          if (t.replied || (t.deadline !== '' && t.deadline < cutoffDay)) raw.due++;
          if (t.escalated) raw.escalated++;
        }
      }
    }
  }

  const orgs: Record<string, OrgFigures> = {};
  for (const org of [...totals.keys()].sort()) {
    const services: Record<string, FigureCell> = {};
    const byService = perService.get(org)!;
    for (const service of [...byService.keys()].sort()) services[service] = suppress(byService.get(service)!, k);
    orgs[org] = { total: suppress(totals.get(org)!, k), services };
  }
  return {
    period: period.id,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    cutoff: new Date(cutoff).toISOString(),
    k,
    delayDays,
    orgs,
  };
}

const hidden = (n: number, k: number) => n > 0 && n < k;

function suppress(raw: Raw, k: number): FigureCell {
  const count = (n: number): Count => (hidden(n, k) ? SUPPRESSED : n);
  const rate = (num: number, den: number): Rate => {
    if (hidden(num, k) || hidden(den, k)) return SUPPRESSED;
    return den === 0 ? null : Math.round((num / den) * 10_000) / 10_000;
  };
  return {
    ratings: count(raw.ratings),
    good: count(raw.good),
    goodRate: rate(raw.good, raw.ratings),
    bad: count(raw.bad),
    overturned: count(raw.overturned),
    rectifications: count(raw.rectifications),
    rectified: count(raw.rectified),
    rectifiedOnTime: count(raw.rectifiedOnTime),
    rectifiedOnTimeRate: rate(raw.rectifiedOnTime, raw.due),
    escalated: count(raw.escalated),
    realNameBad: count(raw.realNameBad),
    calledBack: count(raw.calledBack),
    callbackRate: rate(raw.calledBack, raw.realNameBad),
  };
}

/** The first difference between two tables as `path: published A, recomputed B`, or null when equal. */
export function firstDifference(published: unknown, recomputed: unknown, path = ''): string | null {
  if (typeof published !== 'object' || published === null || typeof recomputed !== 'object' || recomputed === null) {
    return Object.is(published, recomputed)
      ? null
      : `${path || '(root)'}: published ${JSON.stringify(published)}, recomputed ${JSON.stringify(recomputed)}`;
  }
  const a = published as Record<string, unknown>;
  const b = recomputed as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const d = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return null;
}
