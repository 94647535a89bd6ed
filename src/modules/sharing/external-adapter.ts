import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import {
  KeyNotPublic,
  verifyingKeyOf,
  type HttpSigningKey,
  type SigningKey,
  type Sm2SigningKey,
  type VerifyingKey,
} from './http-signature-keys.ts';
import { signRequest } from './http-signature-sign.ts';
import { verifyResponse } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import type { FetchRequest, FetchResult, ProviderAdapter } from './provider-adapters.ts';
import { departmentAgents, post, sendWithFetch, Transient } from './department-transport.ts';

export type ExternalProviderConfig = Extract<ProviderConfig, { kind: 'external' }>;

export interface ExternalAdapterDeps {
  /** The platform's sharing key: every request to a department registered with an Ed25519 key is signed with it. */
  key: SigningKey;
  /**
   * The platform's SM2 sharing key, asked for when a department registered with an SM2 key is
   * first addressed: requests to it are signed with it (`alg` "sm2-sm3"). Without it such a
   * department cannot be configured.
   */
  sm2KeyOf?: () => Sm2SigningKey;
  /** First backoff step; each retry waits a random time up to base·2ⁿ, capped at maxBackoffMs (full jitter). */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Largest accepted age of a response signature. */
  windowSeconds?: number;
  fetch?: typeof fetch;
  clock?: () => Date;
}

export const EXTERNAL_DEFAULTS = { timeoutMs: 3000, attempts: 4, backoffBaseMs: 200, maxBackoffMs: 2000, windowSeconds: 300 } as const;

/**
 * The department's own system over HTTP: a query signed with the platform's key (RFC 9421), the
 * answer verified against the department key pinned in the dataset's provider config. A
 * department that does not answer, times out or says 5xx/429 is tried again with exponential
 * backoff and full jitter, up to `attempts`, under the same request id, so a retry is the same
 * query; a refusal (4xx) or an answer whose signature does not verify is not retried.
 *
 * The pinned key is Ed25519 or SM2 (its SPKI says which). The platform signs its requests in the
 * department's algorithm: with its SM2 key (`alg` "sm2-sm3") to a department registered with an
 * SM2 key, so a department on the national algorithms (国密) needs nothing else; with its Ed25519
 * key otherwise, as before.
 */
export function externalAdapter(config: ExternalProviderConfig, deps: ExternalAdapterDeps): ProviderAdapter {
  let departmentKey: VerifyingKey;
  try {
    departmentKey = verifyingKeyOf(config.publicKey);
  } catch (error) {
    throw new AppError('DEPARTMENT_RESPONSE_INVALID', {
      department: config.baseUrl,
      reason: message(error instanceof KeyNotPublic ? 'sharing.external.keyInvalid' : 'sharing.external.keyNotSupported'),
    });
  }
  const chosenKey: HttpSigningKey | undefined = 'alg' in departmentKey ? deps.sm2KeyOf?.() : deps.key;
  if (!chosenKey) {
    throw new AppError('DEPARTMENT_RESPONSE_INVALID', {
      department: config.baseUrl,
      reason: message('sharing.external.keyNotSupported'),
    });
  }
  const requestKey = chosenKey;
  const agents = departmentAgents();
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
    const signed = await signRequest(requestKey, { url, body, idempotencyKey: request.requestId, now: clock() });
    const tooLarge = () =>
      new AppError(
        'DEPARTMENT_RESPONSE_INVALID',
        { department: request.providerName, reason: 'the answer is too large' },
        { reason: 'TOO_LARGE' },
      );
    const outgoing = { url, headers: signed.headers, body, timeoutMs, tooLarge };
    const response = deps.fetch ? await sendWithFetch(deps.fetch, outgoing) : await post(agents, outgoing);
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
