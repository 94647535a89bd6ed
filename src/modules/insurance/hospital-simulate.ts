/**
 * A day at a hospital's insurance window (`yiban hospital simulate`): outpatient visits and
 * inpatient stays of enrolled residents, 5–40 fee lines each from the catalogue, settled; some
 * cancelled (most settled again, as a corrected bill), one reversed; then the day's 3201
 * reconciliation. It drives a running hospital process over its local API, or a hospital system
 * in this process. Each patient has one request at a time; `concurrency` patients at once.
 */
import type { EncounterView, FeeLineInput, HospitalSystem } from './hospital-system.ts';
import { chinaDay } from './insurance-context.ts';
import { SEED_CATALOGUE } from './insurance.seed.ts';

/** What the simulator asks of the hospital: the window's operations. */
export interface HospitalWindow {
  openEncounter(input: { certNo: string; medType: string; begin: string; emergency?: boolean }): Promise<EncounterView>;
  addFees(mdtrtId: string, lines: FeeLineInput[]): Promise<unknown>;
  settle(mdtrtId: string): Promise<Record<string, unknown>>;
  cancel(setlId: string): Promise<unknown>;
  reverse(setlId: string): Promise<unknown>;
  reconcile(day: string): Promise<{ matched: boolean; regions: { region: string; count: number; matched: boolean }[] }>;
  stats(): Promise<{ transactions: Record<string, { count: number; p50: number; p99: number }> }>;
}

/** A refusal from the hospital's local API. */
class WindowError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; messageEn?: string },
  ) {
    super(`${status} ${body.error ?? ''}: ${body.messageEn ?? ''}`);
    this.name = 'WindowError';
  }
}

/** The window over a hospital process's local HTTP API, with its token. */
export function httpWindow(baseUrl: string, token: string): HospitalWindow {
  const base = baseUrl.replace(/\/$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const authorization = `Bearer ${token}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? { authorization } : { authorization, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { error?: string; messageEn?: string };
    if (!res.ok) throw new WindowError(res.status, json);
    return json;
  }
  return {
    openEncounter: (input) => call('POST', '/encounters', input),
    addFees: (id, lines) => call('POST', `/encounters/${id}/fees`, { lines }),
    settle: (id) => call('POST', `/encounters/${id}/settle`, {}),
    cancel: (id) => call('POST', `/settlements/${id}/cancel`, {}),
    reverse: (id) => call('POST', `/settlements/${id}/reverse`, {}),
    reconcile: (day) => call('POST', '/reconcile', { day }),
    stats: () => call('GET', '/stats'),
  };
}

/** The window over a hospital system in this process. */
export function localWindow(system: HospitalSystem): HospitalWindow {
  return {
    openEncounter: (input) => system.openEncounter(input),
    addFees: (id, lines) => system.addFees(id, lines),
    settle: (id) => system.settle(id),
    cancel: (id) => system.cancel(id),
    reverse: (id) => system.reverse(id),
    reconcile: (day) => system.reconcile(day),
    stats: async () => system.stats(),
  };
}

/** A small seeded generator (mulberry32): the same seed, the same day. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` fee lines from the catalogue, priced at or under each item's highest allowed price. */
export function feeLinesFor(random: () => number, count: number, inpatient: boolean): FeeLineInput[] {
  const lines: FeeLineInput[] = [];
  for (let i = 0; i < count; i++) {
    const item = SEED_CATALOGUE[Math.floor(random() * SEED_CATALOGUE.length)]!;
    const maxFen = item.max === undefined ? 20_000 : Math.round(item.max * 100);
    const priceFen = Math.max(1, Math.round(maxFen * (0.5 + random() * 0.5)));
    const quantity = 1 + Math.floor(random() * (inpatient && item.unit === '日' ? 10 : 3));
    lines.push({ code: item.code, quantity, priceFen, sn: `L${i + 1}` });
  }
  return lines;
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

export interface SimulationOptions {
  encounters: number;
  /** The day the encounters begin on (YYYY-MM-DD). */
  date: string;
  /** Enrolled residents' ID numbers. */
  patients: readonly string[];
  concurrency?: number;
  seed?: number;
  /** Share of encounters that are inpatient stays (default 0.4). */
  inpatientShare?: number;
}

export async function simulateDay(window: HospitalWindow, options: SimulationOptions) {
  const random = seeded(options.seed ?? 1);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 8, options.patients.length));
  if (options.patients.length === 0) throw new Error('no patients');
  const ops = new Map<string, number[]>();
  const timed = async <T>(op: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await work();
    (ops.get(op) ?? ops.set(op, []).get(op)!).push(performance.now() - started);
    return out;
  };
  // Which encounters get cancelled (and settled again, or left), and which one is reversed: decided up front.
  const plan = Array.from({ length: options.encounters }, (_, i) => {
    const inpatient = random() < (options.inpatientShare ?? 0.4);
    const lines = inpatient ? 15 + Math.floor(random() * 26) : 5 + Math.floor(random() * 8);
    const r = random();
    const after = i === Math.floor(options.encounters / 2) ? 'reverse' : r < 0.06 ? 'cancel-resettle' : r < 0.1 ? 'cancel' : 'none';
    return { inpatient, lines: feeLinesFor(random, lines, inpatient), after };
  });
  const counts = { encounters: 0, settled: 0, cancelled: 0, reversed: 0, failed: 0 };
  const failures: string[] = [];
  const started = performance.now();
  // Lane k takes encounters k, k + concurrency, … for its own patients: one request at a time per patient.
  const lanes = Array.from({ length: concurrency }, async (_, lane) => {
    const mine = options.patients.filter((_p, j) => j % concurrency === lane);
    for (let i = lane, n = 0; i < plan.length; i += concurrency, n++) {
      const p = { ...plan[i]!, patient: mine[n % mine.length]! };
      try {
        const e = await timed('open (1101+2001)', () =>
          window.openEncounter({ certNo: p.patient, medType: p.inpatient ? '21' : '11', begin: options.date }),
        );
        counts.encounters++;
        // A stay's fees come in two uploads (admission days, then the rest); a visit's in one.
        const cut = p.inpatient ? Math.ceil(p.lines.length / 2) : p.lines.length;
        await timed('fees (2301)', () => window.addFees(e.mdtrtId, p.lines.slice(0, cut)));
        if (cut < p.lines.length) await timed('fees (2301)', () => window.addFees(e.mdtrtId, p.lines.slice(cut)));
        let s = await timed('settle (2303+2304)', () => window.settle(e.mdtrtId));
        if (p.after === 'cancel' || p.after === 'cancel-resettle') {
          await timed('cancel (2305)', () => window.cancel(String(s.setl_id)));
          counts.cancelled++;
          if (p.after === 'cancel-resettle') s = await timed('settle (2303+2304)', () => window.settle(e.mdtrtId));
          else continue;
        } else if (p.after === 'reverse') {
          await timed('reverse (2601)', () => window.reverse(String(s.setl_id)));
          counts.reversed++;
          continue;
        }
        counts.settled++;
      } catch (error) {
        counts.failed++;
        if (failures.length < 10) failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  });
  await Promise.all(lanes);
  const seconds = (performance.now() - started) / 1000;
  const day = chinaDay(new Date());
  const reconciliation = await timed('reconcile (3201)', () => window.reconcile(day));
  const windowOps: Record<string, { count: number; p50: number; p99: number }> = {};
  for (const [op, list] of ops) {
    const sorted = [...list].sort((a, b) => a - b);
    windowOps[op] = { count: sorted.length, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)) };
  }
  return {
    date: options.date,
    settlementDay: day,
    ...counts,
    seconds: round(seconds),
    reconciliation: {
      matched: reconciliation.matched,
      regions: reconciliation.regions.map((r) => ({ region: r.region, count: r.count, matched: r.matched })),
    },
    windowOps,
    transactions: (await window.stats()).transactions,
    ...(failures.length > 0 ? { failures } : {}),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
