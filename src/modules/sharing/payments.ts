import { createHash, randomBytes } from 'node:crypto';
import type { PaymentRailConfig } from '../../core/config.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { chinaDate, hasUnsafeText, isUuid } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { actsForAnOrg, can, grantsFor, isAdminRole, maskResidentId, parseResidentId, RESIDENT_ID_PROBLEM_TEXT } from '../identity/index.ts';
import type { Principal } from '../identity/index.ts';
import type { ExternalAdapterDeps } from './external-adapter.ts';
import { derivedSharingKey, type SigningKey, type Sm2SigningKey } from './http-signature-keys.ts';
import { paymentEntry } from './payment-entry.ts';
import { paymentRailFor, type PaymentRail } from './payment-rail.ts';
import * as repo from './sharing.repository.ts';
import { checkPurpose, MAX_PAGE, sm2SharingKeyOf, subjectKeyFunction } from './sharing-context.ts';
import type { SharingLedger, SharingOrgDirectory } from './sharing-types.ts';

/** A payment instruction to the paying bank, as a benefit's payer sends it. */
export interface PaymentInstruction {
  /** A UUID, the idempotency key: the same id is one payment, however often it is sent. */
  instructionId: string;
  /** The paying department (e.g. 民政局, 医保局). */
  payerOrgCode: string;
  /** GB 11643: the bank pays into the resident's social security card account. */
  payeeResidentId: string;
  payeeName: string;
  /** Positive, a safe integer. */
  amountFen: number;
  /** The benefit code, e.g. `benefit.old_age_allowance`. */
  purpose: string;
  /** The grant and period, e.g. `<grantId>:2026-12`. */
  reference: string;
}

export interface PaymentReceipt {
  instructionId: string;
  bankReference: string;
  acceptedAt: string;
  /** True when the instruction had been accepted before: nothing was sent this time. */
  duplicate: boolean;
}

/** A payment as the payer's staff see it: the payee masked. */
export interface PaymentView {
  instructionId: string;
  payerOrgCode: string;
  payee: string;
  amountFen: number;
  purpose: string;
  reference: string;
  status: repo.PaymentRow['status'];
  bankReference: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  acceptedAt: string | null;
  refusedAt: string | null;
  ledgerEntryId: number | null;
}

export interface PaymentFigures {
  sent: number;
  accepted: number;
  /** The amount of the accepted instructions. */
  amountFen: number;
}

export interface PaymentsDeps {
  db: Db;
  masterKey: Buffer;
  ledger: Pick<SharingLedger, 'appendInTx' | 'appendManyInTx'>;
  orgs: Pick<SharingOrgDirectory, 'getOrg'>;
  /** Where instructions go; the internal (embedded) bank by default. */
  rail?: PaymentRailConfig;
  /**
   * The platform's sharing keys (default: derived from the master key; the SM2 one signs to a bank
   * whose key is SM2) and the retry timing, as for external departments.
   */
  external?: Omit<ExternalAdapterDeps, 'key' | 'sm2KeyOf' | 'clock'> & { key?: SigningKey; sm2Key?: Sm2SigningKey };
  clock?: () => Date;
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;

const MAX_NAME = 64;
const MAX_REFERENCE = 200;

/**
 * Payment instructions to the paying bank through the sharing layer: once per instruction id,
 * whatever the retries. The row is written first (its primary key decides between two senders),
 * the bank is asked outside any transaction, and its acceptance, the row's status and the ledger
 * leaf commit together. A bank that is down leaves the row pending (BANK_UNAVAILABLE): the
 * caller's worker sends the same instruction again later, and the bank's own dedup by
 * instruction id keeps it one payment.
 */
export function createPaymentsService(deps: PaymentsDeps) {
  const { db, orgs, ledger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const subjectKeyOf = subjectKeyFunction(deps.masterKey);
  const key = deps.external?.key ?? derivedSharingKey(deps.masterKey);
  const rail: PaymentRail = paymentRailFor(deps.rail ?? { kind: 'internal' }, {
    ...deps.external,
    key,
    sm2KeyOf: sm2SharingKeyOf(deps),
    clock,
  });

  function receipt(row: repo.PaymentRow, duplicate: boolean): PaymentReceipt {
    return { instructionId: row.instructionId, bankReference: row.bankReference!, acceptedAt: row.acceptedAt!.toISOString(), duplicate };
  }

  function refused(row: repo.PaymentRow): AppError {
    return new AppError('PAYMENT_REFUSED', { bank: rail.name, reason: row.lastError ?? '' }, { instructionId: row.instructionId });
  }

  function viewOf(row: repo.PaymentRow): PaymentView {
    return {
      instructionId: row.instructionId,
      payerOrgCode: row.payerOrgCode,
      payee: row.payeeMasked,
      amountFen: row.amountFen,
      purpose: row.purpose,
      reference: row.reference,
      status: row.status,
      bankReference: row.bankReference,
      attempts: row.attempts,
      lastError: row.lastError,
      createdAt: row.createdAt.toISOString(),
      acceptedAt: row.acceptedAt?.toISOString() ?? null,
      refusedAt: row.refusedAt?.toISOString() ?? null,
      ledgerEntryId: row.ledgerEntryId,
    };
  }

  function checkInstruction(instruction: PaymentInstruction): string {
    const invalid = (key: Parameters<typeof message>[0]) => new AppError('VALIDATION_FAILED', { detail: message(key) });
    if (!isUuid(instruction.instructionId)) throw invalid('sharing.payment.instructionId');
    const parsed = parseResidentId(instruction.payeeResidentId, chinaDate(clock()));
    if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: RESIDENT_ID_PROBLEM_TEXT[parsed.problem] });
    if (!Number.isSafeInteger(instruction.amountFen) || instruction.amountFen <= 0) throw invalid('sharing.payment.amount');
    const name = instruction.payeeName.trim();
    if (name.length === 0 || name.length > MAX_NAME || hasUnsafeText(name)) throw invalid('sharing.payment.payeeName');
    checkPurpose(instruction.purpose);
    const { reference } = instruction;
    if (reference.length === 0 || reference.length > MAX_REFERENCE || hasUnsafeText(reference)) throw invalid('sharing.payment.reference');
    return parsed.value.id;
  }

  /** Which payers the caller may list: one payer it may see, or all its grants reach. */
  async function scopeFor(principal: Principal, payerOrgCode: string | undefined): Promise<repo.PayerScope> {
    if (!actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
    if (payerOrgCode !== undefined) {
      const payer = await orgs.getOrg(payerOrgCode);
      if (!payer || !can(principal, 'payment.view', { orgPath: payer.path })) throw new AppError('FORBIDDEN');
      return { orgCode: payer.code };
    }
    const at = principal.system?.at;
    if (at) {
      if (!at.actions.includes('payment.view')) throw new AppError('FORBIDDEN');
      return { orgCode: at.orgCode };
    }
    const grants = grantsFor(principal, 'payment.view');
    if (grants.length === 0) throw new AppError('FORBIDDEN');
    if (grants.some((g) => g.role === 'platform_admin')) return null;
    return { paths: grants.map((g) => ({ path: g.orgPath, subtree: isAdminRole(g.role) })) };
  }

  /** The row of a new instruction (its hash decides whether a resend is the same payment). */
  function prepare(principal: Principal, payer: { code: string; path: string }, instruction: PaymentInstruction) {
    const payeeResidentId = checkInstruction(instruction);
    const payeeKey = subjectKeyOf(payeeResidentId);
    const payeeName = instruction.payeeName.trim();
    const instructionHash = createHash('sha256')
      .update(
        canonicalJson({
          payer: payer.code,
          payee: payeeKey,
          payeeName,
          amountFen: instruction.amountFen,
          purpose: instruction.purpose,
          reference: instruction.reference,
        }),
      )
      .digest('hex');
    const row = {
      instructionId: instruction.instructionId,
      instructionHash,
      payerOrgCode: payer.code,
      payerOrgPath: payer.path,
      requestedBy: principal.accountId,
      payeeKey,
      payeeMasked: maskResidentId(payeeResidentId),
      amountFen: instruction.amountFen,
      purpose: instruction.purpose,
      reference: instruction.reference,
      salt: randomBytes(16).toString('hex'),
      // Milliseconds, as the list's cursor carries them.
      createdAt: clock(),
    };
    return { row, payeeResidentId, payeeName };
  }

  const service = {
    /**
     * Sends a payment instruction for the payer the principal acts for (`payment.send` there) and
     * answers the bank's receipt. The same instruction id with the same content is the same
     * payment: once accepted, a resend answers the stored receipt (`duplicate`) and sends nothing;
     * with another payee, amount, purpose or reference it is a CONFLICT.
     */
    async sendPayment(principal: Principal, instruction: PaymentInstruction): Promise<PaymentReceipt> {
      if (!actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
      const payer = await orgs.getOrg(instruction.payerOrgCode);
      if (!payer || !can(principal, 'payment.send', { orgPath: payer.path })) throw new AppError('FORBIDDEN');
      const { row: fresh, payeeResidentId, payeeName } = prepare(principal, payer, instruction);
      const { instructionId, instructionHash } = fresh;
      const row = (await repo.insertPayment(db, fresh)) ?? (await repo.findPayment(db, instructionId));
      if (!row) throw new AppError('DATABASE_BUSY');
      if (row.instructionHash !== instructionHash) throw new AppError('CONFLICT', { detail: message('sharing.payment.changed') });
      if (row.status === 'accepted') return receipt(row, true);
      if (row.status === 'refused') throw refused(row);

      // Pending: to the bank, outside any transaction (it may take seconds of retries). Two
      // senders of one pending instruction may both reach the bank; it books the id once.
      await repo.countAttempt(db, instructionId);
      let accepted;
      try {
        accepted = await rail.send({
          instructionId,
          payerOrgCode: payer.code,
          payeeResidentId,
          payeeName,
          amountFen: instruction.amountFen,
          purpose: instruction.purpose,
          reference: instruction.reference,
        });
      } catch (error) {
        const lastError = (error instanceof AppError ? formatReason(error) : String(error)).slice(0, 500);
        if (error instanceof AppError && error.code === 'PAYMENT_REFUSED') {
          await db.transaction(async (tx) => {
            const current = await repo.findPayment(tx, instructionId, true);
            if (current?.status === 'pending')
              await repo.updatePayment(tx, instructionId, { status: 'refused', lastError, refusedAt: clock() });
          });
        } else {
          await repo.updatePayment(db, instructionId, { lastError });
        }
        throw error;
      }
      return db.transaction(async (tx) => {
        const current = await repo.findPayment(tx, instructionId, true);
        if (!current) throw new AppError('DATABASE_BUSY');
        // Accepted by a concurrent sender first: its leaf stands, no second one.
        if (current.status === 'accepted') return receipt(current, true);
        if (current.status === 'refused') throw refused(current);
        const { id: ledgerEntryId } = await ledger.appendInTx(
          tx,
          paymentEntry({
            instructionId,
            payerOrgCode: current.payerOrgCode,
            purpose: current.purpose,
            payeeKey: current.payeeKey,
            amountFen: current.amountFen,
            reference: current.reference,
            salt: current.salt,
            bankReference: accepted.bankReference,
            at: accepted.acceptedAt,
          }),
        );
        const updated = await repo.updatePayment(tx, instructionId, {
          status: 'accepted',
          bankReference: accepted.bankReference,
          acceptedAt: accepted.acceptedAt,
          ledgerEntryId,
          lastError: null,
        });
        return receipt(updated, false);
      });
    },

    /** The instructions of the payers the caller may see (`payment.view`), newest first; the payee masked. */
    async listPayments(
      principal: Principal,
      query: { payerOrgCode?: string | undefined; cursor?: string | undefined; limit?: number | undefined } = {},
    ): Promise<{ items: PaymentView[]; next: string | null }> {
      const scope = await scopeFor(principal, query.payerOrgCode);
      const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_PAGE);
      let before: { createdAt: Date; instructionId: string } | undefined;
      if (query.cursor) {
        const [at, id] = decodeCursor(query.cursor, 2);
        if (typeof at !== 'number' || typeof id !== 'string' || !isUuid(id))
          throw new AppError('VALIDATION_FAILED', { detail: message('cursor.invalid') });
        before = { createdAt: new Date(at), instructionId: id };
      }
      const rows = await repo.listPayments(db, { scope, limit: limit + 1, ...(before ? { before } : {}) });
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return {
        items: rows.slice(0, limit).map(viewOf),
        next: last ? encodeCursor([last.createdAt.getTime(), last.instructionId]) : null,
      };
    },

    /** How many instructions were sent and accepted, and the amount accepted, for the payers the caller may see. */
    async paymentFigures(principal: Principal, query: { payerOrgCode?: string | undefined } = {}): Promise<PaymentFigures> {
      return repo.paymentFigures(db, await scopeFor(principal, query.payerOrgCode));
    },

    /**
     * Many instructions of one batch (a batch of benefit grants): the same checks and the same
     * outcome per instruction as `sendPayment`, in a few statements. New instructions are inserted
     * in one statement, sent to the bank (a few at a time), and their acceptances, leaves and rows
     * committed in one transaction; anything else (a resend, a conflict, a bank that failed) goes
     * through `sendPayment` one by one. Each instruction's receipt, or its error, in input order.
     */
    async sendPayments(principal: Principal, instructions: readonly PaymentInstruction[]): Promise<(PaymentReceipt | AppError)[]> {
      if (instructions.length === 0) return [];
      if (!actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
      const payers = new Map<string, { code: string; path: string } | null>();
      for (const code of new Set(instructions.map((i) => i.payerOrgCode))) {
        const payer = await orgs.getOrg(code);
        payers.set(code, payer && can(principal, 'payment.send', { orgPath: payer.path }) ? payer : null);
      }
      const results: (PaymentReceipt | AppError | undefined)[] = instructions.map(() => undefined);
      const prepared: { index: number; row: ReturnType<typeof prepare>['row']; payeeResidentId: string; payeeName: string }[] = [];
      instructions.forEach((instruction, index) => {
        const payer = payers.get(instruction.payerOrgCode);
        if (!payer) {
          results[index] = new AppError('FORBIDDEN');
          return;
        }
        try {
          prepared.push({ index, ...prepare(principal, payer, instruction) });
        } catch (error) {
          results[index] = error instanceof AppError ? error : new AppError('INTERNAL');
        }
      });
      // Counted as the first attempt as it is written (before the bank is asked).
      const inserted = new Set(
        (
          await repo.insertPayments(
            db,
            prepared.map((p) => ({ ...p.row, attempts: 1 })),
          )
        ).map((r) => r.instructionId),
      );
      const fresh = prepared.filter((p) => inserted.has(p.row.instructionId));
      const accepted: { p: (typeof fresh)[number]; bankReference: string; acceptedAt: Date }[] = [];
      const retry: number[] = prepared.filter((p) => !inserted.has(p.row.instructionId)).map((p) => p.index);
      let next = 0;
      const lane = async () => {
        for (let p = fresh[next++]; p; p = fresh[next++]) {
          try {
            const a = await rail.send({
              instructionId: p.row.instructionId,
              payerOrgCode: p.row.payerOrgCode,
              payeeResidentId: p.payeeResidentId,
              payeeName: p.payeeName,
              amountFen: p.row.amountFen,
              purpose: p.row.purpose,
              reference: p.row.reference,
            });
            accepted.push({ p, bankReference: a.bankReference, acceptedAt: a.acceptedAt });
          } catch {
            retry.push(p.index);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, fresh.length) }, lane));
      if (accepted.length > 0) {
        await db.transaction(async (tx) => {
          const { ids } = await ledger.appendManyInTx(
            tx,
            accepted.map(({ p, bankReference, acceptedAt }) =>
              paymentEntry({
                instructionId: p.row.instructionId,
                payerOrgCode: p.row.payerOrgCode,
                purpose: p.row.purpose,
                payeeKey: p.row.payeeKey,
                amountFen: p.row.amountFen,
                reference: p.row.reference,
                salt: p.row.salt,
                bankReference,
                at: acceptedAt,
              }),
            ),
          );
          // Only rows still pending (a concurrent sendPayment may have accepted one first: its leaf stands… and so does this one's, harmlessly naming the same booking).
          await repo.acceptPayments(
            tx,
            accepted.map(({ p, bankReference, acceptedAt }, i) => ({
              instructionId: p.row.instructionId,
              bankReference,
              acceptedAt,
              ledgerEntryId: ids[i]!,
            })),
          );
        });
        for (const { p, bankReference, acceptedAt } of accepted) {
          results[p.index] = { instructionId: p.row.instructionId, bankReference, acceptedAt: acceptedAt.toISOString(), duplicate: false };
        }
      }
      // Resends, conflicts and bank failures: the one-by-one path says what each is (and tries the bank again).
      for (const index of retry) {
        try {
          results[index] = await service.sendPayment(principal, instructions[index]!);
        } catch (error) {
          results[index] = error instanceof AppError ? error : new AppError('INTERNAL');
        }
      }
      return results.map((r) => r ?? new AppError('INTERNAL'));
    },
  };
  return service;
}

/** Why the bank did not take it, for the payment row: codes, statuses and the bank's name, no personal data. */
function formatReason(error: AppError): string {
  const reason = error.params.reason;
  if (error.code === 'PAYMENT_REFUSED' && typeof reason === 'string') return reason;
  const last = (error.details as { lastError?: unknown } | undefined)?.lastError;
  return `${error.code}${typeof last === 'string' ? `: ${last}` : ''}`;
}
