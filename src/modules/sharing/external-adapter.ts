import { createPublicKey, type KeyObject } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { SigningKey } from './http-signature-keys.ts';
import { signRequest } from './http-signature-sign.ts';
import { verifyResponse } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import type { FetchRequest, FetchResult, ProviderAdapter } from './provider-adapters.ts';

export type ExternalProviderConfig = Extract<ProviderConfig, { kind: 'external' }>;

export interface ExternalAdapterDeps {
  /** The platform's sharing key: every request is signed with it. */
  key: SigningKey;
  /** First backoff step; each retry waits a random time up to base·2ⁿ, capped at maxBackoffMs (full jitter). */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Largest accepted age of a response signature. */
  windowSeconds?: number;
  fetch?: typeof fetch;
  clock?: () => Date;
}

export const EXTERNAL_DEFAULTS = { timeoutMs: 3000, attempts: 4, backoffBaseMs: 200, maxBackoffMs: 2000, windowSeconds: 300 } as const;

/** One person's fields: an answer larger than this is refused unread. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A kept-alive connection to a department closes after this long unused (before the department's own idle timeout). */
const IDLE_SOCKET_MS = 4000;

/** A failure worth another attempt: no answer, a timeout, or the department saying it is busy. */
class Transient extends Error {}

interface Answer {
  status: number;
  /** Lower-case names; repeated fields joined with ", " (as fetch does). */
  headers: Record<string, string>;
  text: string;
}

const noAnswer = (timeoutMs: number) => new Transient(`no answer within ${timeoutMs} ms`);
const cannotConnect = (error: Error) => new Transient(`cannot connect (${error.message})`);

/**
 * The signed query as one POST over node:http(s) on a kept-alive connection: the request goes out
 * in one write and the answer is read once, capped at MAX_ANSWER_BYTES. (Through fetch, undici's
 * streams and separate writes cost about as much CPU as the rest of the exchange.) `timeoutMs`
 * bounds the whole exchange, answer body included.
 */
function post(
  agents: { http: HttpAgent; https: HttpsAgent },
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  tooLarge: () => Error,
): Promise<Answer> {
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
async function sendWithFetch(
  doFetch: typeof fetch,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  tooLarge: () => Error,
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

/**
 * The department's own system over HTTP: a query signed with the platform's key (RFC 9421), the
 * answer verified against the department key pinned in the dataset's provider config. A
 * department that does not answer, times out or says 5xx/429 is tried again with exponential
 * backoff and full jitter, up to `attempts`, under the same request id, so a retry is the same
 * query; a refusal (4xx) or an answer whose signature does not verify is not retried.
 */
export function externalAdapter(config: ExternalProviderConfig, deps: ExternalAdapterDeps): ProviderAdapter {
  let departmentKey: KeyObject;
  try {
    departmentKey = createPublicKey(config.publicKey);
  } catch {
    throw new AppError('DEPARTMENT_RESPONSE_INVALID', {
      department: config.baseUrl,
      reason: message('sharing.external.keyInvalid'),
    });
  }
  if (departmentKey.asymmetricKeyType !== 'ed25519') {
    throw new AppError('DEPARTMENT_RESPONSE_INVALID', {
      department: config.baseUrl,
      reason: message('sharing.external.keyNotEd25519'),
    });
  }
  // Kept-alive connections to the department, one pool per adapter (per pinned config).
  const agents = {
    http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
  const clock = deps.clock ?? (() => new Date());
  const attempts = config.attempts ?? EXTERNAL_DEFAULTS.attempts;
  const timeoutMs = config.timeoutMs ?? EXTERNAL_DEFAULTS.timeoutMs;
  const base = deps.backoffBaseMs ?? EXTERNAL_DEFAULTS.backoffBaseMs;
  const cap = deps.maxBackoffMs ?? EXTERNAL_DEFAULTS.maxBackoffMs;

  async function once(request: FetchRequest): Promise<FetchResult> {
    const url = `${config.baseUrl.replace(/\/+$/, '')}/v1/datasets/${encodeURIComponent(request.datasetCode)}/query`;
    const body = JSON.stringify({
      requestId: request.requestId,
      residentId: request.residentId,
      fields: request.fields,
      purpose: request.purpose,
    });
    const signed = await signRequest(deps.key, { url, body, idempotencyKey: request.requestId, now: clock() });
    const tooLarge = () =>
      new AppError(
        'DEPARTMENT_RESPONSE_INVALID',
        { department: request.providerName, reason: 'the answer is too large' },
        { reason: 'TOO_LARGE' },
      );
    const response = deps.fetch
      ? await sendWithFetch(deps.fetch, url, signed.headers, body, timeoutMs, tooLarge)
      : await post(agents, url, signed.headers, body, timeoutMs, tooLarge);
    const { text, headers } = response;
    if (response.status >= 500 || response.status === 429) throw new Transient(`HTTP ${response.status} ${reasonOf(text)}`);
    if (response.status !== 200) {
      throw new AppError(
        'DEPARTMENT_REFUSED',
        { department: request.providerName, reason: `HTTP ${response.status} ${reasonOf(text)}` },
        { status: response.status, error: errorCodeOf(text) },
      );
    }
    try {
      await verifyResponse(
        { url, headers: signed.headers },
        { status: response.status, headers, body: text },
        {
          keyFor: (id) => (id === config.keyId ? departmentKey : null),
          now: clock(),
          windowSeconds: deps.windowSeconds ?? EXTERNAL_DEFAULTS.windowSeconds,
        },
      );
    } catch (error) {
      if (error instanceof SignatureError) {
        throw new AppError(
          'DEPARTMENT_RESPONSE_INVALID',
          { department: request.providerName, reason: `${error.reason}: ${error.message}` },
          { reason: error.reason },
        );
      }
      throw error;
    }
    return parseAnswer(text, request);
  }

  return {
    async fetch(_db, request) {
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return await once(request);
        } catch (error) {
          if (!(error instanceof Transient)) throw error;
          last = error.message;
          if (attempt < attempts) await sleep(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)));
        }
      }
      throw new AppError(
        'DEPARTMENT_UNAVAILABLE',
        { department: request.providerName, attempts },
        { datasetCode: request.datasetCode, lastError: last },
      );
    },
  };
}

function parseAnswer(text: string, request: FetchRequest): FetchResult {
  const invalid = (why: string) => new AppError('DEPARTMENT_RESPONSE_INVALID', { department: request.providerName, reason: why });
  let answer: { requestId?: unknown; found?: unknown; data?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw invalid('the answer is not JSON');
  }
  if (answer.requestId !== request.requestId) throw invalid('the answer is for another request');
  if (answer.data === null) return null;
  if (typeof answer.data !== 'object' || answer.data === undefined || Array.isArray(answer.data))
    throw invalid('the answer has no data object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(answer.data as Record<string, unknown>)) {
    if (!request.fields.includes(k)) throw invalid(`the answer holds a field that was not asked for: ${k}`);
    if (typeof v !== 'string') throw invalid(`field ${k} is not text`);
    out[k] = v;
  }
  return out;
}

function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    return [body.error, body.message]
      .filter((x) => typeof x === 'string')
      .join(': ')
      .slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

function errorCodeOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}
