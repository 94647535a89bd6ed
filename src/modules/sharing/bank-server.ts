/**
 * The paying bank's own system (代发银行): a small HTTP server taking the platform's signed payment
 * instructions (RFC 9421) at `POST /v1/payments` and answering with signed acceptances. The checks
 * are the external department's (external-department.ts): a trusted key, a verifying signature
 * and Content-Digest, `created` inside the window, a nonce not seen within it. The instruction id
 * (= Idempotency-Key) is booked once: the same id and body get the same acceptance (bank
 * reference and time) however often it comes; the same id with another body is refused (409).
 *
 * Run it with `yiban bank serve`; tests start it as a separate process (bank-process.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUuid } from '../../core/values.ts';
import { maskResidentId } from '../identity/index.ts';
import { flatHeaders, plain, readBody } from './external-department.ts';
import type { SigningKey, Sm2SigningKey, VerifyingKey } from './http-signature-keys.ts';
import { signResponse } from './http-signature-sign.ts';
import { verifyRequest } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';

export interface BankServerOptions {
  name: string;
  /** The bank's key: Ed25519, or SM2 (its answers then `alg` "sm2-sm3"). */
  key: SigningKey | Sm2SigningKey;
  /** The platform public keys the bank accepts, by key id (trustedKeys). */
  trusted: Map<string, VerifyingKey>;
  windowSeconds?: number;
  /** The scheme and authority the platform addresses the bank by, behind a TLS proxy; default: http and the Host header. */
  publicUrl?: string;
  /** Fault injection: every answer waits this long. */
  delayMs?: number;
  /** Fault injection: the first N instructions get 503, as from a bank that is starting up. */
  failFirst?: number;
  /** Fault injection: every instruction gets 503 until `setDown(false)`. */
  down?: boolean;
  log?: (line: string) => void;
  clock?: () => Date;
}

export interface BankStats {
  /** Instructions that reached the bank, refused ones included. */
  received: number;
  /** Distinct instruction ids booked: the payments made. */
  distinctPayments: number;
  /** Resends of a booked instruction answered with its first acceptance, nothing booked again. */
  replayed: number;
  /** The amount booked. */
  amountFen: number;
  /** Refusals by reason (REPLAYED_NONCE, INSTRUCTION_REUSED, UNKNOWN_KEY, DOWN, …). */
  refused: Record<string, number>;
}

interface Booking {
  bodyHash: string;
  body: string;
}

const MAX_TEXT = 200;

export function createBankServer(options: BankServerOptions): { server: Server; stats: () => BankStats; setDown(down: boolean): void } {
  const clock = options.clock ?? (() => new Date());
  const windowSeconds = options.windowSeconds ?? 300;
  const log = options.log ?? (() => undefined);
  const nonces = new Map<string, number>();
  const bookings = new Map<string, Booking>();
  const stats: BankStats = { received: 0, distinctPayments: 0, replayed: 0, amountFen: 0, refused: {} };
  let failuresLeft = options.failFirst ?? 0;
  let down = options.down ?? false;

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
    const url = new URL(req.url ?? '/', 'http://bank.invalid');
    if (req.method === 'GET' && url.pathname === '/v1/health')
      return plain(res, 200, { name: options.name, keyId: options.key.keyId, down });
    if (req.method === 'GET' && url.pathname === '/v1/stats') return plain(res, 200, stats);
    if (req.method !== 'POST' || url.pathname !== '/v1/payments')
      return plain(res, 404, { error: 'NOT_FOUND', message: 'no such endpoint' });
    stats.received++;
    const body = await readBody(req);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (down) return refuse(res, 503, 'DOWN', 'the bank system is down; try again later');
    if (failuresLeft > 0) {
      failuresLeft--;
      return refuse(res, 503, 'STARTING_UP', 'the bank system is starting up; try again');
    }
    if (body === null) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', 'the body is too large');
    const headers = flatHeaders(req);
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
    let instruction: Record<string, unknown>;
    try {
      instruction = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return refuse(res, 400, 'MALFORMED_JSON', 'the body is not JSON');
    }
    const { instructionId, payerOrgCode, payeeResidentId, payeeName, amountFen, purpose, reference } = instruction;
    const text = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT;
    if (
      typeof instructionId !== 'string' ||
      !isUuid(instructionId) ||
      instructionId !== headers['idempotency-key'] ||
      !text(payerOrgCode) ||
      typeof payeeResidentId !== 'string' ||
      !/^\d{17}[\dX]$/.test(payeeResidentId) ||
      !text(payeeName) ||
      typeof amountFen !== 'number' ||
      !Number.isSafeInteger(amountFen) ||
      amountFen <= 0 ||
      !text(purpose) ||
      !text(reference)
    ) {
      return refuse(
        res,
        400,
        'BAD_INSTRUCTION',
        'instructionId (= Idempotency-Key), payer, payee, a positive amountFen, purpose and reference are required',
      );
    }
    const bodyHash = createHash('sha256').update(body).digest('hex');
    let booking = bookings.get(instructionId);
    if (booking && booking.bodyHash !== bodyHash)
      return refuse(res, 409, 'INSTRUCTION_REUSED', 'this instruction id was used for another payment');
    if (booking) stats.replayed++;
    else {
      const acceptedAt = clock().toISOString();
      const bankReference = `BK${randomBytes(8).toString('hex').toUpperCase()}`;
      booking = { bodyHash, body: JSON.stringify({ instructionId, bankReference, acceptedAt }) };
      bookings.set(instructionId, booking);
      stats.distinctPayments++;
      stats.amountFen += amountFen;
      log(
        JSON.stringify({
          at: acceptedAt,
          instructionId,
          keyId: params.keyid,
          payer: payerOrgCode,
          payee: maskResidentId(payeeResidentId),
          amountFen,
          purpose,
          bankReference,
        }),
      );
    }
    const signed = await signResponse(options.key, { url: targetUri, headers }, { status: 200, body: booking.body, now: clock() });
    res.writeHead(200, signed).end(booking.body);
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
  server.keepAliveTimeout = 30_000;
  return {
    server,
    stats: () => structuredClone(stats),
    setDown: (value) => {
      down = value;
    },
  };
}
