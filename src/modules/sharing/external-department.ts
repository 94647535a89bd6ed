/**
 * An external department's own system: a small HTTP server holding the department's dataset,
 * answering the platform's signed queries (RFC 9421) with signed responses. It refuses a request
 * whose key it does not trust, whose signature or Content-Digest does not verify, whose
 * `created` is outside the window, or whose nonce it has seen within the window (a replay): the
 * checks of signed-intake.ts, which the paying bank's system makes too.
 * The same request id (Idempotency-Key) gets the same answer and one access-log line, however
 * many times the platform retries.
 *
 * The department's key is Ed25519 or SM2 (`alg` "sm2-sm3", GM/T 0003/0009), and so is each
 * platform key it trusts, independently: the algorithm is the key's own (its SPKI), not a setting.
 *
 * Run it with `yiban external-dept serve`; tests and the demo start it as a separate process.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { maskResidentId } from '../identity/index.ts';
import { signResponse } from './http-signature-sign.ts';
import { createSignedIntake, createSignedServer, plain, type SignedServerOptions } from './signed-intake.ts';

export interface DepartmentDataset {
  code: string;
  /** Records by resident ID number, as the department's own system keys them. */
  records: { residentId: string; data: Record<string, string> }[];
}

/** The department's key and each platform key it trusts are Ed25519 or SM2, independently. */
export interface DepartmentServerOptions extends SignedServerOptions {
  datasets: DepartmentDataset[];
}

export interface DepartmentStats {
  received: number;
  served: number;
  distinctRequests: number;
  refused: Record<string, number>;
}

const QUERY_PATH = /^\/v1\/datasets\/([A-Za-z0-9_.-]{1,64})\/query$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{16,128}$/;

export function createDepartmentServer(options: DepartmentServerOptions): { server: Server; stats: () => DepartmentStats } {
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const records = new Map(options.datasets.map((d) => [d.code, new Map(d.records.map((r) => [r.residentId.toUpperCase(), r.data]))]));
  /** Answers by request id: a retry gets the same body (re-signed for the new request). */
  const answers = new Map<string, { bodyHash: string; status: number; body: string }>();
  const stats: DepartmentStats = { received: 0, served: 0, distinctRequests: 0, refused: {} };
  const { accept, refuse } = createSignedIntake(options, { system: 'the department system', refused: stats.refused });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://department.invalid');
    if (req.method === 'GET' && url.pathname === '/v1/health')
      return plain(res, 200, { name: options.name, keyId: options.key.keyId, datasets: [...records.keys()] });
    if (req.method === 'GET' && url.pathname === '/v1/stats') return plain(res, 200, stats);
    const match = QUERY_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) return plain(res, 404, { error: 'NOT_FOUND', message: 'no such endpoint' });
    stats.received++;
    const request = await accept(req, res);
    if (!request) return;
    const { params, body, headers, targetUri } = request;
    const { requestId, residentId, fields, purpose } = request.json as {
      requestId?: unknown;
      residentId?: unknown;
      fields?: unknown;
      purpose?: unknown;
    };
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

  return { server: createSignedServer(options, handle), stats: () => structuredClone(stats) };
}
