import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PaymentRailConfig } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { departmentAgents, post, sendWithFetch, Transient } from './department-transport.ts';
import { EXTERNAL_DEFAULTS, type ExternalAdapterDeps } from './external-adapter.ts';
import { KeyNotPublic, verifyingKeyIdOf, verifyingKeyOf, type HttpSigningKey, type VerifyingKey } from './http-signature-keys.ts';
import { signRequest } from './http-signature-sign.ts';
import { verifyResponse } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';

/** What goes to the bank: the instruction as the payer sent it, the payee's full ID number included (the bank pays into their card account). */
interface RailInstruction {
  instructionId: string;
  payerOrgCode: string;
  payeeResidentId: string;
  payeeName: string;
  amountFen: number;
  purpose: string;
  reference: string;
}

interface BankAcceptance {
  bankReference: string;
  acceptedAt: Date;
}

/**
 * The way to the paying bank. `send` answers the bank's acceptance, or throws: BANK_UNAVAILABLE
 * (nothing is known to be booked; the same instruction may be sent again), PAYMENT_REFUSED (final),
 * DEPARTMENT_RESPONSE_INVALID (an answer that does not verify: not final, the bank dedups a resend).
 */
export interface PaymentRail {
  /** The bank, for messages. */
  name: string | { zh: string; en: string };
  send(instruction: RailInstruction): Promise<BankAcceptance>;
}

/** The rail a configuration names; the internal one by default. */
export function paymentRailFor(config: PaymentRailConfig, deps: ExternalAdapterDeps): PaymentRail {
  switch (config.kind) {
    case 'internal':
      return internalRail(deps.clock ?? (() => new Date()));
    case 'external':
      return externalRail(config, deps);
  }
}

/** The bank reference the internal rail gives an instruction: derived from its id, so a resend gets the same one. */
export function internalBankReference(instructionId: string): string {
  return `YB${createHash('sha256').update(`yiban/payments/internal-bank/${instructionId}`).digest('hex').slice(0, 20).toUpperCase()}`;
}

/** The embedded demo: the bank is a department inside the platform and accepts every instruction. */
function internalRail(clock: () => Date): PaymentRail {
  return {
    name: message('sharing.payment.bank'),
    send: (instruction) => Promise.resolve({ bankReference: internalBankReference(instruction.instructionId), acceptedAt: clock() }),
  };
}

type ExternalRailConfig = Extract<PaymentRailConfig, { kind: 'external' }>;

/**
 * The bank's own system over HTTP, as external-adapter.ts talks to a department: the instruction
 * signed with the platform's sharing key (RFC 9421), Idempotency-Key = instruction id, the answer
 * verified against the bank's pinned key. The bank's key is Ed25519 or SM2 (its SPKI says which), and
 * the platform signs in the bank's algorithm, as it does for a department: with its SM2 sharing key
 * (`alg` "sm2-sm3", 国密) to a bank whose key is SM2, with its Ed25519 key otherwise. No answer, a timeout, 5xx or 429 is tried again
 * with exponential backoff and full jitter up to `attempts`, then BANK_UNAVAILABLE; a 4xx is a refusal.
 */
function externalRail(config: ExternalRailConfig, deps: ExternalAdapterDeps): PaymentRail {
  const name = config.name ?? message('sharing.payment.bank');
  let bankKey: VerifyingKey;
  try {
    bankKey = verifyingKeyOf(config.publicKey);
  } catch (error) {
    throw new Error(
      error instanceof KeyNotPublic
        ? 'YIBAN_BANK_PUBLIC_KEY: not a public key (SPKI PEM)'
        : 'YIBAN_BANK_PUBLIC_KEY: the bank key must be Ed25519 or SM2',
    );
  }
  const keyId = config.keyId ?? verifyingKeyIdOf(bankKey, 'bank');
  // The platform's key in the bank key's algorithm, chosen once.
  const requestKey: HttpSigningKey | undefined = 'alg' in bankKey ? deps.sm2KeyOf?.() : deps.key;
  if (!requestKey) throw new Error('YIBAN_BANK_PUBLIC_KEY: an SM2 bank needs the platform’s SM2 sharing key');
  const agents = departmentAgents();
  const clock = deps.clock ?? (() => new Date());
  const attempts = config.attempts ?? EXTERNAL_DEFAULTS.attempts;
  const timeoutMs = config.timeoutMs ?? EXTERNAL_DEFAULTS.timeoutMs;
  const base = deps.backoffBaseMs ?? EXTERNAL_DEFAULTS.backoffBaseMs;
  const cap = deps.maxBackoffMs ?? EXTERNAL_DEFAULTS.maxBackoffMs;
  const url = `${config.baseUrl.replace(/\/+$/, '')}/v1/payments`;
  const invalid = (reason: string, detail?: Record<string, unknown>) =>
    new AppError('DEPARTMENT_RESPONSE_INVALID', { department: name, reason }, detail);

  async function once(instruction: RailInstruction, key: HttpSigningKey): Promise<BankAcceptance> {
    const body = JSON.stringify(instruction);
    const signed = await signRequest(key, { url, body, idempotencyKey: instruction.instructionId, now: clock() });
    const outgoing = { url, headers: signed.headers, body, timeoutMs, tooLarge: () => invalid('the answer is too large') };
    const response = deps.fetch ? await sendWithFetch(deps.fetch, outgoing) : await post(agents, outgoing);
    const { text, headers } = response;
    if (response.status >= 500 || response.status === 429) throw new Transient(`HTTP ${response.status} ${text.slice(0, 200)}`);
    if (response.status !== 200) {
      const error = errorCodeOf(text);
      throw new AppError(
        'PAYMENT_REFUSED',
        { bank: name, reason: `HTTP ${response.status}${error ? ` ${error}` : ''}` },
        { status: response.status, error },
      );
    }
    try {
      await verifyResponse(
        { url, headers: signed.headers },
        { status: response.status, headers, body: text },
        {
          keyFor: (id) => (id === keyId ? bankKey : null),
          now: clock(),
          windowSeconds: deps.windowSeconds ?? EXTERNAL_DEFAULTS.windowSeconds,
        },
      );
    } catch (error) {
      if (error instanceof SignatureError) throw invalid(`${error.reason}: ${error.message}`, { reason: error.reason });
      throw error;
    }
    let answer: { instructionId?: unknown; bankReference?: unknown; acceptedAt?: unknown };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw invalid('the answer is not JSON');
    }
    if (answer.instructionId !== instruction.instructionId) throw invalid('the answer is for another instruction');
    const acceptedAt = typeof answer.acceptedAt === 'string' ? new Date(answer.acceptedAt) : null;
    if (
      typeof answer.bankReference !== 'string' ||
      !/^[A-Za-z0-9_-]{1,64}$/.test(answer.bankReference) ||
      !acceptedAt ||
      isNaN(acceptedAt.getTime())
    )
      throw invalid('the answer has no bank reference or acceptance time');
    return { bankReference: answer.bankReference, acceptedAt };
  }

  return {
    name,
    async send(instruction) {
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return await once(instruction, requestKey);
        } catch (error) {
          if (!(error instanceof Transient)) throw error;
          last = error.message;
          if (attempt < attempts) await sleep(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)));
        }
      }
      throw new AppError('BANK_UNAVAILABLE', { bank: name, attempts }, { instructionId: instruction.instructionId, lastError: last });
    },
  };
}

function errorCodeOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error.slice(0, 64) : null;
  } catch {
    return null;
  }
}
