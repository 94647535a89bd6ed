/**
 * The paying bank's own system (代发银行): a small HTTP server taking the platform's signed payment
 * instructions (RFC 9421) at `POST /v1/payments` and answering with signed acceptances. The checks
 * are the external department's, in one place (signed-intake.ts): a trusted key, a verifying signature
 * and Content-Digest, `created` inside the window, a nonce not seen within it. The instruction id
 * (= Idempotency-Key) is booked once: the same id and body get the same acceptance (bank
 * reference and time) however often it comes; the same id with another body is refused (409).
 *
 * Run it with `yiban bank serve`; tests start it as a separate process (bank-process.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isUuid } from '../../core/values.ts';
import { maskResidentId } from '../identity/index.ts';
import { signResponse } from './http-signature-sign.ts';
import { createSignedIntake, createSignedServer, plain, type SignedServerOptions } from './signed-intake.ts';

/** The bank's key may be Ed25519 or SM2 (its answers then `alg` "sm2-sm3"); the fault injection counts instructions. */
export interface BankServerOptions extends SignedServerOptions {
  /** Fault injection: every instruction gets 503 until `setDown(false)`. */
  down?: boolean;
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
  const log = options.log ?? (() => undefined);
  const bookings = new Map<string, Booking>();
  const stats: BankStats = { received: 0, distinctPayments: 0, replayed: 0, amountFen: 0, refused: {} };
  let down = options.down ?? false;
  const { accept, refuse } = createSignedIntake(options, { system: 'the bank system', refused: stats.refused, down: () => down });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bank.invalid');
    if (req.method === 'GET' && url.pathname === '/v1/health')
      return plain(res, 200, { name: options.name, keyId: options.key.keyId, down });
    if (req.method === 'GET' && url.pathname === '/v1/stats') return plain(res, 200, stats);
    if (req.method !== 'POST' || url.pathname !== '/v1/payments')
      return plain(res, 404, { error: 'NOT_FOUND', message: 'no such endpoint' });
    stats.received++;
    const request = await accept(req, res);
    if (!request) return;
    const { params, body, headers, targetUri } = request;
    const { instructionId, payerOrgCode, payeeResidentId, payeeName, amountFen, purpose, reference } = request.json;
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

  const server = createSignedServer(options, handle);
  return {
    server,
    stats: () => structuredClone(stats),
    setDown: (value) => {
      down = value;
    },
  };
}
