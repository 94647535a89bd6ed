import { chinaDate } from '../../core/values.ts';
import type { CaseFacts } from '../applications/index.ts';
import type { RatingCountDelta } from '../ratings/index.ts';
import { EXCHANGE_COMPLETED_TOPIC as EXCHANGE_COMPLETED } from '../sharing/index.ts';
import { caseTiming } from './case-clock.ts';

/** The counters of one aggregate row (dashboards.tables.ts). */
export interface Counters {
  submitted: number;
  submittedOnline: number;
  decided: number;
  onTime: number;
  firstTime: number;
  instant: number;
  fullyOnline: number;
  counterTrips: number;
  workingMilli: number;
  certificates: number;
  exchangesConsumed: number;
  exchangesProvided: number;
  ratings: number;
  ratingsGood: number;
  ratingsBad: number;
  realNameBad: number;
  calledBack: number;
  rectifications: number;
  rectified: number;
  rectifiedOnTime: number;
}

export const COUNTER_NAMES: readonly (keyof Counters)[] = [
  'submitted',
  'submittedOnline',
  'decided',
  'onTime',
  'firstTime',
  'instant',
  'fullyOnline',
  'counterTrips',
  'workingMilli',
  'certificates',
  'exchangesConsumed',
  'exchangesProvided',
  'ratings',
  'ratingsGood',
  'ratingsBad',
  'realNameBad',
  'calledBack',
  'rectifications',
  'rectified',
  'rectifiedOnTime',
];

export const zeroCounters = (): Counters => ({
  submitted: 0,
  submittedOnline: 0,
  decided: 0,
  onTime: 0,
  firstTime: 0,
  instant: 0,
  fullyOnline: 0,
  counterTrips: 0,
  workingMilli: 0,
  certificates: 0,
  exchangesConsumed: 0,
  exchangesProvided: 0,
  ratings: 0,
  ratingsGood: 0,
  ratingsBad: 0,
  realNameBad: 0,
  calledBack: 0,
  rectifications: 0,
  rectified: 0,
  rectifiedOnTime: 0,
});

/** The outbox handler's name (the worker records what it has done under it). */
export const HANDLER_NAME = 'dashboards.count';

/** The events the dashboards count. */
export const COUNTED_TOPICS = ['case.submitted', 'case.decided', 'certificate.issued', EXCHANGE_COMPLETED] as const;

export interface CountedEvent {
  id: number;
  topic: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** The delta rows of an aggregate, keyed org|service|day. */
export type Deltas = Map<string, { orgCode: string; serviceCode: string; day: string; counters: Counters }>;

const ONLINE_CHANNELS = new Set(['app']);

/** The case an event is about (each counted topic names one). */
export function caseIdOf(event: CountedEvent): string | null {
  const id = event.payload['caseId'];
  return typeof id === 'string' ? id : null;
}

/**
 * What one event adds, for one case: nothing, or some counters on one day. A case counts once as
 * submitted (a resubmission after 补正 is not a new case) and once as decided (the approval, or a
 * completion that came with it; a later manual completion of an approved case is not a second
 * decision).
 */
export function countEvent(event: CountedEvent, facts: CaseFacts): { day: string; add: Partial<Counters> } | null {
  switch (event.topic) {
    case 'case.submitted': {
      if (event.payload['resubmission'] === true) return null;
      return {
        day: chinaDate(facts.firstSubmittedAt ?? event.createdAt),
        add: { submitted: 1, submittedOnline: ONLINE_CHANNELS.has(facts.channel) ? 1 : 0 },
      };
    }
    case 'case.decided': {
      const state = event.payload['state'];
      const decision =
        state === 'approved' ||
        state === 'rejected' ||
        (state === 'completed' && facts.decidedAt !== null && facts.completedAt?.getTime() === facts.decidedAt.getTime());
      if (!decision || !facts.decidedAt) return null;
      const timing = caseTiming(facts);
      return {
        day: chinaDate(facts.decidedAt),
        add: {
          decided: 1,
          onTime: timing?.onTime ? 1 : 0,
          firstTime: facts.returns.length === 0 ? 1 : 0,
          instant: facts.instant ? 1 : 0,
          fullyOnline: ONLINE_CHANNELS.has(facts.channel) && facts.counterTrips === 0 ? 1 : 0,
          counterTrips: facts.counterTrips,
          workingMilli: Math.round((timing?.workingDays ?? 0) * 1000),
        },
      };
    }
    case 'certificate.issued':
      return { day: chinaDate(event.createdAt), add: { certificates: 1 } };
    case EXCHANGE_COMPLETED:
      // The consumer's side: its case's org and service (the provider's side is counted apart, providerOf).
      return { day: chinaDate(completedAt(event)), add: { exchangesConsumed: 1 } };
    default:
      return null;
  }
}

const completedAt = (event: CountedEvent): Date => {
  const at = event.payload['completedAt'];
  const date = typeof at === 'string' ? new Date(at) : event.createdAt;
  return Number.isNaN(date.getTime()) ? event.createdAt : date;
};

/** The provider's side of a completed exchange: its org, and what it adds there (for all services only). */
export function providerOf(event: CountedEvent): { orgCode: string; counted: { day: string; add: Partial<Counters> } } | null {
  const orgCode = event.payload['providerOrgCode'];
  if (event.topic !== EXCHANGE_COMPLETED || typeof orgCode !== 'string') return null;
  return { orgCode, counted: { day: chinaDate(completedAt(event)), add: { exchangesProvided: 1 } } };
}

/** The ratings module's names of what a rating step adds, and the counters they add to. */
const RATING_COUNTERS: Record<string, keyof Counters> = {
  ratings: 'ratings',
  good: 'ratingsGood',
  bad: 'ratingsBad',
  realNameBad: 'realNameBad',
  calledBack: 'calledBack',
  rectifications: 'rectifications',
  rectified: 'rectified',
  rectifiedOnTime: 'rectifiedOnTime',
};
/**
 * A rating step's change to the 好差评 counts (the ratings module's `rating_count_deltas` row): what
 * it adds to its rating's org path, service and day (negative when a rating is set aside on appeal).
 */
export function ratingCounted(delta: RatingCountDelta): {
  orgPath: string;
  serviceCode: string;
  counted: { day: string; add: Partial<Counters> };
} {
  const out: Partial<Counters> = {};
  for (const [name, value] of Object.entries(delta.add as Record<string, unknown>)) {
    const counter = RATING_COUNTERS[name];
    if (counter && typeof value === 'number' && Number.isSafeInteger(value)) out[counter] = value;
  }
  return { orgPath: delta.orgPath, serviceCode: delta.serviceCode, counted: { day: delta.day, add: out } };
}

/**
 * Adds a counted event to the row of its org and of every org above, for its service and for all
 * services (a null service: all services only).
 */
export function addToDeltas(
  deltas: Deltas,
  facts: { orgPath: string; serviceCode: string | null },
  counted: { day: string; add: Partial<Counters> },
): void {
  for (const orgCode of facts.orgPath.split('.')) {
    for (const serviceCode of facts.serviceCode === null ? [''] : [facts.serviceCode, '']) {
      const key = `${orgCode}|${serviceCode}|${counted.day}`;
      let row = deltas.get(key);
      if (!row) deltas.set(key, (row = { orgCode, serviceCode, day: counted.day, counters: zeroCounters() }));
      for (const [name, value] of Object.entries(counted.add) as [keyof Counters, number][]) row.counters[name] += value;
    }
  }
}
