/**
 * An external department's own system: a small HTTP server holding the department's dataset,
 * answering the platform's signed queries (RFC 9421) with signed responses. It refuses a request
 * whose key it does not trust, whose signature or Content-Digest does not verify, whose
 * `created` is outside the window, or whose nonce it has seen within the window (a replay).
 * The same request id (Idempotency-Key) gets the same answer and one access-log line, however
 * many times the platform retries.
 *
 * The department's key is Ed25519 or SM2 (`alg` "sm2-sm3", GM/T 0003/0009), and so is each
 * platform key it trusts, independently: the algorithm is the key's own (its SPKI), not a setting.
 *
 * Run it with `yiban external-dept serve`; tests and the demo start it as a separate process.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { maskResidentId } from '../identity/index.ts';
import { verifyingKeyIdOf, verifyingKeyOf, type SigningKey, type Sm2SigningKey, type VerifyingKey } from './http-signature-keys.ts';
import { signResponse } from './http-signature-sign.ts';
import { verifyRequest } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';

export interface DepartmentDataset {
  code: string;
  /** Records by resident ID number, as the department's own system keys them. */
  records: { residentId: string; data: Record<string, string> }[];
}

export interface DepartmentServerOptions {
  name: string;
  /** The department's own key: its answers are signed with it (Ed25519, or SM2 with `alg` "sm2-sm3"). */
  key: SigningKey | Sm2SigningKey;
  /** The platform public keys the department accepts, by key id (Ed25519 or SM2). */
  trusted: Map<string, VerifyingKey>;
  datasets: DepartmentDataset[];
  windowSeconds?: number;
  /**
   * The scheme and authority the platform addresses this system by (behind a TLS proxy, e.g.
   * `https://health.example`): the signed @target-uri is rebuilt from it. Default: http and the Host header.
   */
  publicUrl?: string;
  /** Fault injection for tests and demos: every answer waits this long. */
  delayMs?: number;
  /** Fault injection: the first N requests get 503, as from a department that is starting up. */
  failFirst?: number;
  log?: (line: string) => void;
  clock?: () => Date;
}

export interface DepartmentStats {
  received: number;
  served: number;
  distinctRequests: number;
  refused: Record<string, number>;
}

const MAX_BODY = 64 * 1024;
const QUERY_PATH = /^\/v1\/datasets\/([A-Za-z0-9_.-]{1,64})\/query$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** The trusted keys from PEM public keys, Ed25519 or SM2; each key's id is derived from the key itself. */
export function trustedKeys(pems: readonly string[]): Map<string, VerifyingKey> {
  return new Map(
    pems.map((pem) => {
      const key = verifyingKeyOf(pem);
      return [verifyingKeyIdOf(key), key] as const;
    }),
  );
}

export function createDepartmentServer(options: DepartmentServerOptions): { server: Server; stats: () => DepartmentStats } {
  const clock = options.clock ?? (() => new Date());
  const windowSeconds = options.windowSeconds ?? 300;
  const log = options.log ?? (() => undefined);
  const records = new Map(options.datasets.map((d) => [d.code, new Map(d.records.map((r) => [r.residentId.toUpperCase(), r.data]))]));
  /** Nonces seen, until their window closes. */
  const nonces = new Map<string, number>();
  /** Answers by request id: a retry gets the same body (re-signed for the new request). */
  const answers = new Map<string, { bodyHash: string; status: number; body: string }>();
  const stats: DepartmentStats = { received: 0, served: 0, distinctRequests: 0, refused: {} };
  let failuresLeft = options.failFirst ?? 0;

  function rememberNonce(keyId: string, nonce: string, until: number): boolean {
    const now = clock().getTime();
    if (nonces.size > 10_000) for (const [k, t] of nonces) if (t < now) nonces.delete(k);
    const k = `${keyId} ${nonce}`;
    const seen = nonces.get(k);
    if (seen !== undefined && seen >= now) return false;
    nonces.set(k, until);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://department.invalid');
    if (req.method === 'GET' && url.pathname === '/v1/health')
      return plain(res, 200, { name: options.name, keyId: options.key.keyId, datasets: [...records.keys()] });
    if (req.method === 'GET' && url.pathname === '/v1/stats') return plain(res, 200, stats);
    const match = QUERY_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) return plain(res, 404, { error: 'NOT_FOUND', message: 'no such endpoint' });
    stats.received++;
    const body = await readBody(req);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (failuresLeft > 0) {
      failuresLeft--;
      return refuse(res, 503, 'STARTING_UP', 'the department system is starting up; try again');
    }
    if (body === null) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', 'the body is too large');
    const headers = flatHeaders(req);
    // @target-uri as the platform addressed it: the Host it sent and the path.
    const targetUri = `${options.publicUrl?.replace(/\/+$/, '') ?? `http://${headers.host ?? 'localhost'}`}${req.url ?? '/'}`;
    let params;
    try {
      params = await verifyRequest(
        { method: 'POST', url: targetUri, headers, body },
        { keyFor: (id) => options.trusted.get(id) ?? null, windowSeconds, now: clock() },
      );
    } catch (error) {
      if (error instanceof SignatureError) return refuse(res, 401, error.reason, error.message);
      throw error;
    }
    if (!rememberNonce(params.keyid, params.nonce, (params.created + windowSeconds) * 1000)) {
      return refuse(res, 401, 'REPLAYED_NONCE', 'this request was seen before (nonce reused): replay refused');
    }
    let query: { requestId?: unknown; residentId?: unknown; fields?: unknown; purpose?: unknown };
    try {
      query = JSON.parse(body) as typeof query;
    } catch {
      return refuse(res, 400, 'MALFORMED_JSON', 'the body is not JSON');
    }
    const { requestId, residentId, fields, purpose } = query;
    if (
      typeof requestId !== 'string' ||
      !REQUEST_ID.test(requestId) ||
      requestId !== headers['idempotency-key'] ||
      typeof residentId !== 'string' ||
      typeof purpose !== 'string' ||
      !Array.isArray(fields) ||
      !fields.every((f): f is string => typeof f === 'string')
    ) {
      return refuse(res, 400, 'BAD_QUERY', 'requestId (= Idempotency-Key), residentId, fields and purpose are required');
    }
    const dataset = records.get(match[1]!);
    if (!dataset) return refuse(res, 404, 'UNKNOWN_DATASET', `no dataset ${match[1]}`);

    const bodyHash = createHash('sha256').update(body).digest('hex');
    let answer = answers.get(requestId);
    if (answer && answer.bodyHash !== bodyHash)
      return refuse(res, 422, 'REQUEST_ID_REUSED', 'this request id was used for a different query');
    if (!answer) {
      const record = dataset.get(residentId.toUpperCase());
      const data = record ? Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]!])) : null;
      answer = { bodyHash, status: 200, body: JSON.stringify({ requestId, found: record !== undefined, data }) };
      answers.set(requestId, answer);
      stats.distinctRequests++;
      log(
        JSON.stringify({
          at: clock().toISOString(),
          requestId,
          keyId: params.keyid,
          dataset: match[1],
          subject: maskResidentId(residentId),
          fields,
          purpose,
          found: record !== undefined,
        }),
      );
    }
    stats.served++;
    const signed = await signResponse(options.key, { url: targetUri, headers }, { status: answer.status, body: answer.body, now: clock() });
    res.writeHead(answer.status, signed).end(answer.body);
  }

  function refuse(res: ServerResponse, status: number, error: string, message: string): void {
    stats.refused[error] = (stats.refused[error] ?? 0) + 1;
    plain(res, status, { error, message });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(JSON.stringify({ at: clock().toISOString(), error: String(error) }));
      if (!res.headersSent) plain(res, 500, { error: 'INTERNAL', message: 'internal error' });
    });
  });
  // Longer than a client's idle keep-alive (undici: 4 s), so the server is not the side that closes a reused socket.
  server.keepAliveTimeout = 30_000;
  return { server, stats: () => structuredClone(stats) };
}

export function plain(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
