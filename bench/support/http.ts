import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** From writing the request to the end of the response body. */
  ms: number;
}

export interface HttpClient {
  request(input: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<HttpResponse>;
  close(): void;
}

/** A keep-alive node:http client: light enough to drive a server from the same two cores. */
export function createHttpClient(origin: string, maxSockets = 256): HttpClient {
  const url = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    request({ method, path, headers = {}, body }) {
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path,
            headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

export interface OpenLoopResult {
  /** Latency from the moment the schedule said to send (corrected for coordinated omission). */
  latencies: number[];
  /** Latency from the moment the request was actually written. */
  serviceLatencies: number[];
  /** How late the generator itself was in sending, against the schedule. */
  sendLag: number[];
  statuses: Map<number, number>;
  errors: number;
  sent: number;
  seconds: number;
}

/**
 * An open-loop generator at a fixed rate: request i is due at start + i/rate whatever happened
 * to earlier ones, and its latency counts from that moment. autocannon's `overallRate` is a
 * closed loop with a per-second quota per connection (lib/httpClient.js), so its requests go
 * out in bursts at the top of each second; this is the even-spaced comparison.
 */
export async function runOpenLoop(options: {
  rate: number;
  durationSeconds: number;
  send: (index: number) => Promise<number>;
}): Promise<OpenLoopResult> {
  const total = Math.round(options.rate * options.durationSeconds);
  const interval = 1000 / options.rate;
  const result: OpenLoopResult = { latencies: [], serviceLatencies: [], sendLag: [], statuses: new Map(), errors: 0, sent: 0, seconds: 0 };
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let issued = 0;

  const fire = (index: number) => {
    const due = start + index * interval;
    const sentAt = performance.now();
    result.sendLag.push(sentAt - due);
    result.sent++;
    const p = options
      .send(index)
      .then((status) => {
        const end = performance.now();
        result.latencies.push(end - due);
        result.serviceLatencies.push(end - sentAt);
        result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
      })
      .catch(() => {
        result.errors++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const dueNow = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (issued < dueNow) fire(issued++);
      if (issued >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  result.seconds = (performance.now() - start) / 1000;
  return result;
}
