/**
 * Metrics under `yiban serve --workers N`. The workers share one port, so a scrape reaches any one
 * of them; if each answered with its own counters, Prometheus would see one series jump between
 * workers' values (false counter resets) and lose what the others counted. So the worker that gets
 * the scrape asks the primary; the primary asks every worker that is serving (it has emitted
 * 'listening', or, the background worker, said it is ready, so its app and registries exist) for its metrics over IPC and sums them with
 * prom-client's `AggregatorRegistry.aggregate` (counters, histograms, in-flight requests, CPU and
 * memory); the answer goes back through the same worker. The database gauges are the same in every
 * worker and aggregate with `max`, not a sum (metrics-gauges.ts). A worker that does not answer in
 * time fails the scrape rather than leave its counts out (a sum that drops looks like a reset).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

const SCRAPE = 'yiban:metrics-scrape';
const ANSWER = 'yiban:metrics-answer';
const COLLECT = 'yiban:metrics-collect';
const COLLECTED = 'yiban:metrics-collected';
/** From a worker that serves no HTTP (the background worker): its registries are ready to be collected. */
const READY = 'yiban:metrics-ready';
/** The primary's wait for the workers, and a worker's wait for the primary (a little longer). */
const COLLECT_TIMEOUT_MS = 5000;
const ANSWER_TIMEOUT_MS = 8000;

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

interface Message {
  type: string;
  id: number;
  text?: string;
  error?: string;
  metrics?: MetricsJson[];
}

const messageOf = (m: unknown, type: string): Message | undefined =>
  (m as Message | null)?.type === type && typeof (m as Message).id === 'number' ? (m as Message) : undefined;

/** In the primary (runCluster): answers each worker's scrape with every serving worker's metrics, summed. */
export function answerClusterScrapes(): void {
  const serving = new Set<number>();
  cluster.on('listening', (worker) => serving.add(worker.id));
  cluster.on('exit', (worker) => serving.delete(worker.id));
  const collections = new Map<number, { waiting: Set<number>; metrics: MetricsJson[]; done: (error?: string) => void }>();
  let next = 0;

  function scrape(asker: Worker, askerId: number): void {
    const reply = (answer: { text?: string; error?: string }) => {
      if (asker.isConnected()) asker.send({ type: ANSWER, id: askerId, ...answer } satisfies Message);
    };
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected() && serving.has(w.id));
    const id = next++;
    const timer = setTimeout(() => collections.get(id)?.done('a worker did not answer in time'), COLLECT_TIMEOUT_MS);
    const collection = {
      waiting: new Set(workers.map((w) => w.id)),
      metrics: [] as MetricsJson[],
      done: (error?: string) => {
        collections.delete(id);
        clearTimeout(timer);
        if (error) return reply({ error });
        AggregatorRegistry.aggregate(collection.metrics)
          .metrics()
          .then(
            (text) => reply({ text }),
            (e: unknown) => reply({ error: e instanceof Error ? e.message : String(e) }),
          );
      },
    };
    collections.set(id, collection);
    if (workers.length === 0) return collection.done();
    for (const w of workers) w.send({ type: COLLECT, id } satisfies Message);
  }

  cluster.on('message', (worker, raw: unknown) => {
    if ((raw as Message | null)?.type === READY) return void serving.add(worker.id);
    const asked = messageOf(raw, SCRAPE);
    if (asked) return scrape(worker, asked.id);
    const got = messageOf(raw, COLLECTED);
    const collection = got && collections.get(got.id);
    if (!got || !collection || !collection.waiting.delete(worker.id)) return;
    if (got.error !== undefined) return collection.done(got.error);
    collection.metrics.push(...(got.metrics ?? []));
    if (collection.waiting.size === 0) collection.done();
  });
}

/** In a worker that serves no HTTP (so emits no 'listening'): its metrics count in every scrape from now on. */
export function announceMetricsReady(): void {
  process.send?.({ type: READY, id: 0 } satisfies Message);
}

/**
 * In a worker: answers the primary's collections with `registries`, and returns the scrape, which
 * asks the primary for the sum over all workers.
 */
export function clusterScraper(registries: readonly Registry[]): () => Promise<string> {
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (raw: unknown) => {
    const collect = messageOf(raw, COLLECT);
    if (collect) {
      Promise.all(registries.map((r) => r.getMetricsAsJSON())).then(
        (metrics) => process.send?.({ type: COLLECTED, id: collect.id, metrics } satisfies Message),
        (error: unknown) => process.send?.({ type: COLLECTED, id: collect.id, error: String(error) } satisfies Message),
      );
      return;
    }
    const answer = messageOf(raw, ANSWER);
    const pending = answer && waiting.get(answer.id);
    if (!answer || !pending) return;
    waiting.delete(answer.id);
    if (answer.text !== undefined) pending.resolve(answer.text);
    else pending.reject(new Error(`cluster metrics: ${answer.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.send) {
        reject(new Error('cluster metrics: not a cluster worker'));
        return;
      }
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics: the primary did not answer in time'));
      }, ANSWER_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send({ type: SCRAPE, id } satisfies Message);
    });
}
