/**
 * The database gauges of GET /metrics: the outbox per topic, the ledger's size and backlog, and the
 * cross-province settlements still open, read when Prometheus scrapes. Each source is read at most once per `cacheMs` (5 s by default),
 * however many scrapes arrive, and concurrent scrapes share one read, so a scrape storm cannot
 * load the database. A source that fails shows `yiban_metrics_source_up{source} 0` and no values
 * (stale numbers would look current), and is tried again after the same interval.
 *
 * Under `--workers N` every worker reads the same database: these gauges aggregate with `max`
 * (the freshest reading), `yiban_metrics_source_up` with `min`, never a sum (metrics-cluster.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import { readOutboxGauges, type OutboxTopicGauges } from '../modules/events/index.ts';
import { readInsuranceGauges, type InsuranceGauges } from '../modules/insurance/index.ts';
import { readLedgerGauges, type LedgerGauges } from '../modules/ledger/index.ts';

export interface GaugeReaders {
  outbox: () => Promise<readonly OutboxTopicGauges[]>;
  ledger: () => Promise<LedgerGauges>;
  /** Absent: no insurance gauges. */
  insurance?: () => Promise<InsuranceGauges>;
}

const DEFAULT_CACHE_MS = 5000;

/** The gauges of the platform's database, for `MetricsOptions.gauges`. */
export function databaseGauges(db: Db) {
  return (registry: Registry, warn: (error: unknown, source: string) => void): void =>
    registerOperationsGauges(
      registry,
      { outbox: () => readOutboxGauges(db), ledger: () => readLedgerGauges(db), insurance: () => readInsuranceGauges(db) },
      { warn },
    );
}

/** A read shared by every caller for `ttlMs` after it started (a failure too: it is retried after the interval). */
function cached<T>(ttlMs: number, load: () => Promise<T>, clock: () => number): () => Promise<T> {
  let startedAt = Number.NEGATIVE_INFINITY;
  let value: Promise<T> | undefined;
  return () => {
    const now = clock();
    if (!value || now - startedAt >= ttlMs) {
      startedAt = now;
      value = load();
      // Observed here too, so a failure nobody awaits yet is not an unhandled rejection.
      value.catch(() => undefined);
    }
    return value;
  };
}

export function registerOperationsGauges(
  registry: Registry,
  readers: GaugeReaders,
  options: {
    cacheMs?: number;
    warn: (error: unknown, source: string) => void;
    /** Milliseconds, for the cache (tests move it); performance.now() by default. */
    now?: () => number;
  },
): void {
  const ttl = options.cacheMs ?? DEFAULT_CACHE_MS;
  const clock = options.now ?? (() => performance.now());
  const up = new Gauge({
    name: 'yiban_metrics_source_up',
    help: 'Whether the last read of a database source for these metrics succeeded (1) or failed (0)',
    labelNames: ['source'] as const,
    aggregator: 'min',
    registers: [registry],
    async collect() {
      // The readings set it; the scrape collects every gauge at once, so this one waits for them.
      await Promise.all([outbox(), ledger(), insurance?.()]);
    },
  });
  /** The source's reading, or undefined (and up 0, and a warning once per read) when it failed. */
  const reading = <T>(source: string, load: () => Promise<T>) => {
    const read = cached(
      ttl,
      async () => {
        try {
          return await load();
        } catch (error) {
          options.warn(error, source);
          throw error;
        }
      },
      clock,
    );
    return async (): Promise<T | undefined> => {
      try {
        const value = await read();
        up.set({ source }, 1);
        return value;
      } catch {
        up.set({ source }, 0);
        return undefined;
      }
    };
  };
  const outbox = reading('outbox', readers.outbox);
  const ledger = reading('ledger', readers.ledger);
  const insurance = readers.insurance ? reading('insurance', readers.insurance) : undefined;

  const gauge = (name: string, help: string, labelNames: readonly string[], collect: (g: Gauge) => Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames,
      aggregator: 'max',
      registers: [registry],
      async collect() {
        // Only what this reading has is shown: topics come and go, and a failed read shows nothing
        // (an unlabelled gauge would otherwise read 0 — a fresh checkpoint, an empty queue).
        this.reset();
        if (labelNames.length === 0) this.remove();
        await collect(this);
      },
    });

  gauge('yiban_outbox_pending_events', 'Outbox events not yet handled and not dead, by topic', ['topic'], async (g) => {
    for (const t of (await outbox()) ?? []) g.set({ topic: t.topic }, t.pending);
  });
  gauge(
    'yiban_outbox_oldest_pending_age_seconds',
    'Outbox lag: seconds since the oldest pending event of the topic was written (0 when none is pending)',
    ['topic'],
    async (g) => {
      for (const t of (await outbox()) ?? []) g.set({ topic: t.topic }, t.oldestPendingAgeSeconds ?? 0);
    },
  );
  gauge(
    'yiban_outbox_dead_letters',
    'Outbox events whose last attempt failed and that nobody has retried, by topic',
    ['topic'],
    async (g) => {
      for (const t of (await outbox()) ?? []) g.set({ topic: t.topic }, t.dead);
    },
  );

  const ledgerGauge = (name: string, help: string, value: (l: LedgerGauges) => number | null) =>
    gauge(name, help, [], async (g) => {
      const l = await ledger();
      const v = l && value(l);
      if (v !== undefined && v !== null) g.set(v);
    });
  ledgerGauge('yiban_ledger_entries', 'Ledger entries sequenced (the log size)', (l) => l.entries);
  ledgerGauge('yiban_ledger_queued_entries', 'Ledger entries written and waiting for the sequencer', (l) => l.queued);
  ledgerGauge(
    'yiban_ledger_oldest_queued_age_seconds',
    'Seconds since the oldest entry waiting for the sequencer was written (0 when none waits)',
    (l) => l.oldestQueuedAgeSeconds ?? 0,
  );
  ledgerGauge(
    'yiban_ledger_unintegrated_entries',
    'Ledger entries not yet in a signed checkpoint (queued, or sequenced after the newest checkpoint)',
    (l) => l.queued + l.entries - (l.checkpointSize ?? 0),
  );
  ledgerGauge('yiban_ledger_checkpoint_size', 'Tree size of the newest signed checkpoint', (l) => l.checkpointSize);
  ledgerGauge(
    'yiban_ledger_checkpoint_age_seconds',
    'Seconds since the newest signed checkpoint was stored (grows while the log is idle; alert on it with unintegrated entries)',
    (l) => l.checkpointAgeSeconds,
  );
  ledgerGauge(
    'yiban_ledger_witnesses_failing',
    'Witnesses this log pushes its checkpoints to whose last push failed (they do not cosign the newest checkpoints)',
    (l) => l.witnessesFailing,
  );
  ledgerGauge(
    'yiban_ledger_witness_lead_entries',
    'Entries by which the largest tree a witness has cosigned goes past this log’s newest checkpoint: 0 normally; above 0 the database was restored to an earlier point (or another copy of the node signs)',
    (l) => l.witnessLeadEntries,
  );

  if (insurance) {
    gauge(
      'yiban_insurance_remote_intents',
      'Cross-province settlements open at this node, by state: pending (being asked, or to be withdrawn), abandoning (waiting for the place of insurance to take one back)',
      ['state'],
      async (g) => {
        const i = await insurance();
        if (!i) return;
        g.set({ state: 'pending' }, i.pendingIntents);
        g.set({ state: 'abandoning' }, i.abandoningIntents);
      },
    );
    gauge(
      'yiban_insurance_oldest_open_intent_age_seconds',
      'Seconds since the oldest open cross-province settlement last changed (0 when none is open); well over 15 minutes: the reconciliation is not running or a place of insurance cannot be reached',
      [],
      async (g) => {
        const i = await insurance();
        if (i) g.set(i.oldestOpenIntentAgeSeconds ?? 0);
      },
    );
  }
}
