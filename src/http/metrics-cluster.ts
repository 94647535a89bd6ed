/**
 * Metrics under `yiban serve --workers N`. The workers share one port, so a scrape reaches any one
 * of them; if each answered with its own counters, Prometheus would see one series jump between
 * workers' values (false counter resets) and lose what the others counted. So the worker that gets
 * the scrape asks the primary, the primary collects every worker's registries over IPC with
 * prom-client's AggregatorRegistry and sums them (counters, histograms, in-flight requests, CPU
 * and memory), and the answer goes back through the same worker. The database gauges are the same
 * in every worker and aggregate with `max`, not a sum (metrics-gauges.ts).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const SCRAPE = 'yiban:metrics-scrape';
const ANSWER = 'yiban:metrics-answer';
/** prom-client's own wait for the workers is 5 s; this is the worker's wait for the primary. */
const ANSWER_TIMEOUT_MS = 8000;

interface ScrapeMessage {
  type: typeof SCRAPE;
  id: number;
}
interface AnswerMessage {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isScrape = (m: unknown): m is ScrapeMessage => (m as ScrapeMessage | null)?.type === SCRAPE;
const isAnswer = (m: unknown): m is AnswerMessage => (m as AnswerMessage | null)?.type === ANSWER;

/** In the primary (runCluster): answers each worker's scrape with every worker's metrics, aggregated. */
export function answerClusterScrapes(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isScrape(message)) return;
    const reply = (answer: Omit<AnswerMessage, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...answer });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/**
 * In a worker: offers `registries` to the primary's aggregation and returns the scrape, which asks
 * the primary for the aggregate. One worker process builds one app, so setting the registries
 * prom-client reports (a process-wide setting) is this app's to do.
 */
export function clusterScraper(registries: Registry[]): () => Promise<string> {
  AggregatorRegistry.setRegistries(registries);
  // Constructing one adds the worker's listener for the primary's requests (prom-client/lib/cluster.js).
  new AggregatorRegistry();
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isAnswer(message)) return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.text !== undefined) pending.resolve(message.text);
    else pending.reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
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
      process.send({ type: SCRAPE, id } satisfies ScrapeMessage);
    });
}
