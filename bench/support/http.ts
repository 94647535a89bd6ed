import http from 'node:http';
import net from 'node:net';
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
            headers:
              body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
                ms: performance.now() - started,
              }),
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

export interface LightResponse {
  status: number;
  /** The response head (status line and headers), lower-cased, for simple header checks. */
  head: string;
  /** The body of an answer that is not 2xx (its error code), for the report. */
  errorBody?: string;
}

/**
 * A minimal HTTP/1.1 keep-alive client for the open-loop generator: one `write` per request
 * on a pool of raw sockets, and just enough parsing of the answer (status, headers, a
 * Content-Length body) to know it is complete. node:http's client costs the generator about
 * 0.3–0.6 ms of CPU per request, which at 1,000 req/s takes a large share of two cores away
 * from the server it measures; this one costs a fraction of that (see bench/RESULTS.md §1).
 * One request at a time per socket (no pipelining); a request waits for a free socket when
 * `maxSockets` are busy, and that wait counts in its latency, as it would for a real client.
 */
export function createLightClient(origin: string, maxSockets = 256) {
  const url = new URL(origin);
  const port = Number(url.port);
  const host = url.hostname;
  type Job = { payload: string; resolve: (r: LightResponse) => void; reject: (e: Error) => void };
  const idle: Conn[] = [];
  const waiting: Job[] = [];
  const all = new Set<Conn>();
  let closed = false;

  class Conn {
    readonly socket: net.Socket;
    job: Job | null = null;
    private chunks: Buffer[] = [];
    private length = 0;

    constructor() {
      this.socket = net.connect({ host, port, noDelay: true });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
      const fail = (error: Error) => {
        all.delete(this);
        const i = idle.indexOf(this);
        if (i >= 0) idle.splice(i, 1);
        const job = this.job;
        this.job = null;
        job?.reject(error);
        this.socket.destroy();
      };
      this.socket.on('error', fail);
      this.socket.on('close', () => fail(new Error('connection closed')));
      all.add(this);
    }

    run(job: Job): void {
      this.job = job;
      this.socket.write(job.payload);
    }

    private onData(chunk: Buffer): void {
      this.chunks.push(chunk);
      this.length += chunk.length;
      const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = data.toString('latin1', 0, headEnd).toLowerCase();
      const match = /\r\ncontent-length: *(\d+)/.exec(head);
      const bodyLength = match ? Number(match[1]) : 0;
      if (data.length < headEnd + 4 + bodyLength) {
        this.chunks = [data];
        return;
      }
      this.chunks = [];
      this.length = 0;
      const job = this.job;
      this.job = null;
      release(this);
      const status = Number(head.slice(9, 12));
      job?.resolve(
        status >= 200 && status < 300
          ? { status, head }
          : { status, head, errorBody: data.toString('utf8', headEnd + 4, headEnd + 4 + bodyLength) },
      );
    }
  }

  function release(conn: Conn): void {
    const next = waiting.shift();
    if (next) conn.run(next);
    else idle.push(conn);
  }

  return {
    /** Sends one request (method, path and headers; the body, if any, with its Content-Length). */
    request(input: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<LightResponse> {
      if (closed) return Promise.reject(new Error('client closed'));
      let payload = `${input.method} ${input.path} HTTP/1.1\r\nhost: ${url.host}\r\n`;
      for (const [name, value] of Object.entries(input.headers ?? {})) payload += `${name}: ${value}\r\n`;
      if (input.body !== undefined)
        payload += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(input.body)}\r\n\r\n${input.body}`;
      else payload += '\r\n';
      return new Promise<LightResponse>((resolve, reject) => {
        const job: Job = { payload, resolve, reject };
        const conn = idle.pop() ?? (all.size < maxSockets ? new Conn() : undefined);
        if (conn) conn.run(job);
        else waiting.push(job);
      });
    },
    close(): void {
      closed = true;
      for (const conn of all) conn.socket.destroy();
      for (const job of waiting.splice(0)) job.reject(new Error('client closed'));
    },
  };
}

export type LightClient = ReturnType<typeof createLightClient>;

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
