/**
 * Operations metrics for Prometheus: `GET /metrics` in the text exposition format.
 *
 * Each app has its own registry (tests build many apps in one process, and two apps must not
 * count each other's requests); the process metrics (CPU, memory, event loop, GC) belong to the
 * process and live in one registry per process, shown by every app of it. Request durations are
 * labelled by the route pattern Fastify matched (`/api/cases/:id`), never the URL, so no case id
 * or ID number reaches a label. Gauges of the database (outbox, ledger) are read at scrape time
 * through a short cache (metrics-gauges.ts).
 *
 * Access: with `METRICS_TOKEN` set, a scraper sends `Authorization: Bearer <token>`; without it only
 * a caller on this machine is answered, and not through a proxy (a forwarding header is refused).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { AppError } from '../core/errors.ts';
import { clusterScraper } from './metrics-cluster.ts';

export interface MetricsOptions {
  /** `METRICS_TOKEN`: the bearer token scrapers send; absent, only loopback callers are answered. */
  token?: string | undefined;
  /** Adds the app's gauges (metrics-gauges.ts) to its registry; `warn` logs a source that failed. */
  gauges?: (registry: Registry, warn: (error: unknown, source: string) => void) => void;
  /**
   * A worker of `yiban serve --workers N`: every worker's metrics, summed by the primary
   * (metrics-cluster.ts), answer the scrape, whichever worker the shared port gave it to.
   */
  cluster?: boolean;
}

/** Seconds; from a cached read (under a millisecond) to a slow PDF or a long export. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

let processRegistry: Registry | undefined;

/** The process's own metrics, collected once per process however many apps it builds. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Adds request metrics to every route of `app` and serves `GET /metrics`; call before any other hook or route. */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions = {}): void {
  const registry = new Registry();
  const duration = new Histogram({
    name: 'yiban_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status class (2xx … 5xx, or aborted)',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'yiban_http_requests_in_flight',
    help: 'HTTP requests being handled now',
    registers: [registry],
  });
  options.gauges?.(registry, (error, source) => app.log.warn({ err: error, source }, 'metrics source failed'));
  const registries = [processMetrics(), registry];
  const scrapeCluster = options.cluster ? clusterScraper(registries) : undefined;

  // One series object per method × route × status class (bounded by the routes): prom-client then
  // does not hash the labels of every request.
  const series = new Map<string, { observe(seconds: number): void }>();
  const seriesOf = (method: string, route: string, status: string) => {
    const key = `${method} ${route} ${status}`;
    let found = series.get(key);
    if (!found) series.set(key, (found = duration.labels(method, route, status)));
    return found;
  };

  app.addHook('onRequest', async (request, reply) => {
    const start = performance.now();
    let finished = false;
    inFlight.inc();
    // 'close' comes after 'finish', and alone when the client went away first: each request is counted once.
    reply.raw.once('finish', () => (finished = true));
    reply.raw.once('close', () => {
      inFlight.dec();
      seriesOf(request.method, routeLabel(request), finished ? statusClass(reply) : 'aborted').observe((performance.now() - start) / 1000);
    });
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, reply, options.token);
    const text = scrapeCluster ? await scrapeCluster() : (await Promise.all(registries.map((r) => r.metrics()))).join('');
    return reply.type(Registry.PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(text);
  });
}

/** The route pattern, or `unmatched` for a path no route has (never the path itself). */
function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

function statusClass(reply: FastifyReply): string {
  return `${Math.floor(reply.statusCode / 100)}xx`;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

function authorize(request: FastifyRequest, reply: FastifyReply, token: string | undefined): void {
  if (token) {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (given && sameSecret(given, token)) return;
    reply.header('www-authenticate', 'Bearer realm="metrics"');
    throw new AppError('UNAUTHENTICATED', {}, { required: 'Authorization: Bearer <METRICS_TOKEN>' });
  }
  const local = isLoopback(request.socket.remoteAddress) && isLoopback(request.ip);
  if (!local || FORWARDING_HEADERS.some((h) => request.headers[h] !== undefined)) {
    throw new AppError('FORBIDDEN', {}, { required: 'a loopback caller, or METRICS_TOKEN set on the server' });
  }
}

/** Compared in constant time (hashes of equal length), so the token cannot be guessed byte by byte. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
