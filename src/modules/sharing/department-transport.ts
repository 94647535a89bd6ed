import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AppError } from '../../core/errors.ts';

/** How the external adapter (external-adapter.ts) talks to a department: one signed POST, its answer read whole and capped. */

/** One person's fields: an answer larger than this is refused unread. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A kept-alive connection to a department closes after this long unused (before the department's own idle timeout). */
const IDLE_SOCKET_MS = 4000;

/** A failure worth another attempt: no answer, a timeout, or the department saying it is busy. */
export class Transient extends Error {}

export interface Answer {
  status: number;
  /** Lower-case names; repeated fields joined with ", " (as fetch does). */
  headers: Record<string, string>;
  text: string;
}

const noAnswer = (timeoutMs: number) => new Transient(`no answer within ${timeoutMs} ms`);
const cannotConnect = (error: Error) => new Transient(`cannot connect (${error.message})`);

/** One signed query to a department: where, its signed headers and body, how long to wait, and the error for an oversized answer. */
export interface DepartmentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  tooLarge: () => Error;
}

export interface DepartmentAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Kept-alive connections to a department: one pool per adapter (per pinned config). */
export function departmentAgents(): DepartmentAgents {
  return {
    http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
}

/**
 * The signed query as one POST over node:http(s) on a kept-alive connection: the request goes out
 * in one write and the answer is read once, capped at MAX_ANSWER_BYTES. (Through fetch, undici's
 * streams and separate writes cost about as much CPU as the rest of the exchange.) `timeoutMs`
 * bounds the whole exchange, answer body included.
 */
export function post(agents: DepartmentAgents, { url, headers, body, timeoutMs, tooLarge }: DepartmentRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    let settled = false;
    const finish = (error: Error | null, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const onResponse = (res: IncomingMessage) => {
      if (Number(res.headers['content-length'] ?? 0) > MAX_ANSWER_BYTES) {
        res.destroy();
        finish(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        else {
          res.destroy();
          finish(tooLarge());
        }
      });
      res.on('error', (error) => finish(cannotConnect(error)));
      res.on('end', () => {
        const fields: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) fields[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        finish(null, { status: res.statusCode ?? 0, headers: fields, text: Buffer.concat(chunks).toString('utf8') });
      });
    };
    const options = { method: 'POST', headers: { ...headers, 'content-length': String(payload.length) } };
    const req = secure
      ? httpsRequest(target, { ...options, agent: agents.https }, onResponse)
      : httpRequest(target, { ...options, agent: agents.http }, onResponse);
    const timer = setTimeout(() => finish(noAnswer(timeoutMs)), timeoutMs);
    req.on('error', (error) => finish(cannotConnect(error)));
    req.end(payload);
  });
}

/** The same POST through an injected fetch (tests, proxies). */
export async function sendWithFetch(
  doFetch: typeof fetch,
  { url, headers, body, timeoutMs, tooLarge }: DepartmentRequest,
): Promise<Answer> {
  try {
    const response = await doFetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const text = await response.text();
    const fields: Record<string, string> = {};
    response.headers.forEach((v, k) => (fields[k] = v));
    return { status: response.status, headers: fields, text };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const name = (error as Error).name;
    throw name === 'TimeoutError' || name === 'AbortError' ? noAnswer(timeoutMs) : cannotConnect(error as Error);
  }
}
