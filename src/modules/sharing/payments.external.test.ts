import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { freePort, newSigningKey, newSm2SigningKey } from '../../../test/external-department.ts';
import { createTestContext, freshResidentId, type TestContext } from '../../../test/factories.ts';
import type { PaymentRailConfig } from '../../core/config.ts';
import { systemPrincipal, type Principal } from '../identity/principal.ts';
import { startBank, type RunningBank } from './bank-process.ts';
import { signRequest } from './http-signature-sign.ts';
import { createPaymentsService, type PaymentInstruction } from './payments.ts';
import { sharingPayments } from './sharing.tables.ts';

describe.each(testEngines())('payment instructions to the bank over signed HTTP (a real bank process) on %s', (engine) => {
  const platformKey = newSigningKey();
  const otherPlatformKey = newSigningKey();
  let ctx: TestContext;
  let payer: Principal;
  let payerCode: string;
  let bank: RunningBank;
  let starting: RunningBank;
  let untrusting: RunningBank;
  let down: RunningBank;
  let laterPort: number;
  let later: RunningBank | undefined;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const civil = (await ctx.services.orgs.getOrg(ctx.departments.civil_affairs!))!;
    payerCode = civil.code;
    payer = systemPrincipal({ actor: 'benefits', at: { orgCode: civil.code, orgPath: civil.path, actions: ['payment.send'] } });
    [bank, starting, untrusting, down, laterPort] = await Promise.all([
      startBank({ trust: [platformKey.publicKeyPem] }),
      startBank({ trust: [platformKey.publicKeyPem], failFirst: 2 }),
      startBank({ trust: [otherPlatformKey.publicKeyPem] }),
      startBank({ trust: [platformKey.publicKeyPem], down: true }),
      freePort(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([bank, starting, untrusting, down, later].map((b) => b?.stop() ?? Promise.resolve()));
    await ctx?.close();
  });

  /** The payments service on one rail, as app.ts builds it, with fast retries. */
  const paymentsVia = (rail: PaymentRailConfig) =>
    createPaymentsService({
      db: ctx.database.db,
      masterKey: ctx.masterKey,
      ledger: ctx.services.ledger,
      orgs: ctx.services.orgs,
      rail,
      external: { key: platformKey, backoffBaseMs: 20, maxBackoffMs: 100 },
    });
  const instruction = (overrides: Partial<PaymentInstruction> = {}): PaymentInstruction => ({
    instructionId: randomUUID(),
    payerOrgCode: payerCode,
    payeeResidentId: freshResidentId(),
    payeeName: '李桂兰',
    amountFen: 30_000,
    purpose: 'benefit.old_age_allowance',
    reference: `${randomUUID()}:2026-12`,
    ...overrides,
  });
  const rowOf = async (id: string) =>
    (await ctx.database.db.select().from(sharingPayments).where(eq(sharingPayments.instructionId, id)))[0];

  it('a signed instruction is accepted with the bank’s signed reference; a resend sends nothing', async () => {
    const payments = paymentsVia(bank.rail());
    const sent = instruction();
    const before = await bank.stats();
    const receipt = await payments.sendPayment(payer, sent);
    expect(receipt).toMatchObject({ instructionId: sent.instructionId, duplicate: false });
    expect(receipt.bankReference).toMatch(/^BK[0-9A-F]{16}$/);
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'accepted', bankReference: receipt.bankReference, attempts: 1 });
    expect(await payments.sendPayment(payer, sent)).toEqual({ ...receipt, duplicate: true });
    const after = await bank.stats();
    expect(after.received - before.received).toBe(1);
    expect(after.distinctPayments - before.distinctPayments).toBe(1);
    expect(after.amountFen - before.amountFen).toBe(30_000);
  });

  it('two platform processes sending one instruction at once: the bank books it once', async () => {
    const sent = instruction();
    const before = await bank.stats();
    const receipts = await Promise.all([
      paymentsVia(bank.rail()).sendPayment(payer, sent),
      paymentsVia(bank.rail()).sendPayment(payer, sent),
    ]);
    expect(new Set(receipts.map((r) => r.bankReference)).size).toBe(1);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    expect((await bank.stats()).distinctPayments - before.distinctPayments).toBe(1);
  });

  it('a bank starting up (503 twice) is tried again with backoff, and pays once', async () => {
    const sent = instruction();
    const receipt = await paymentsVia(starting.rail({ attempts: 4 })).sendPayment(payer, sent);
    expect(receipt.duplicate).toBe(false);
    const stats = await starting.stats();
    expect(stats).toMatchObject({ received: 3, distinctPayments: 1, replayed: 0 });
    expect(stats.refused).toEqual({ STARTING_UP: 2 });
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'accepted', attempts: 1 });
  });

  it('a bank that is down delays the payment (BANK_UNAVAILABLE, still pending) and never duplicates it', async () => {
    const sent = instruction();
    const downRail = paymentsVia(down.rail({ attempts: 2 }));
    expect(await rejection(downRail.sendPayment(payer, sent))).toBe('BANK_UNAVAILABLE');
    expect((await down.stats()).refused).toEqual({ DOWN: 2 });
    expect(await rowOf(sent.instructionId)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: expect.stringContaining('BANK_UNAVAILABLE') as string,
    });

    // Nothing listens at the bank's address: the same.
    const key = newSigningKey('bank');
    const unreachable = paymentsVia({
      kind: 'external',
      baseUrl: `http://127.0.0.1:${laterPort}`,
      keyId: key.keyId,
      publicKey: key.publicKeyPem,
      attempts: 2,
    });
    expect(await rejection(unreachable.sendPayment(payer, sent))).toBe('BANK_UNAVAILABLE');

    // The bank comes up there; the caller's worker sends the same instruction again: paid once.
    later = await startBank({ trust: [platformKey.publicKeyPem], port: laterPort, key });
    const receipt = await unreachable.sendPayment(payer, sent);
    expect(receipt.duplicate).toBe(false);
    expect(await paymentsVia(later.rail()).sendPayment(payer, sent)).toEqual({ ...receipt, duplicate: true });
    expect(await later.stats()).toMatchObject({ received: 1, distinctPayments: 1 });
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'accepted', attempts: 3, lastError: null });
  }, 60_000);

  it('a bank that does not trust the platform key refuses: final, not sent again', async () => {
    const payments = paymentsVia(untrusting.rail());
    const sent = instruction();
    expect(await rejection(payments.sendPayment(payer, sent))).toBe('PAYMENT_REFUSED');
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'refused', lastError: 'HTTP 401 UNKNOWN_KEY' });
    expect(await rejection(payments.sendPayment(payer, sent))).toBe('PAYMENT_REFUSED');
    expect(await untrusting.stats()).toMatchObject({ received: 1, distinctPayments: 0, refused: { UNKNOWN_KEY: 1 } });
  });

  it('a bank on SM2 (国密): the instruction signed with the platform’s SM2 key, the bank’s SM2-signed answer taken; an SM2 key it does not trust refused', async () => {
    const platformSm2 = newSm2SigningKey();
    const sm2Bank = await startBank({ key: newSm2SigningKey('bank'), trust: [platformSm2.publicKeyPem] });
    try {
      const via = (sm2Key: ReturnType<typeof newSm2SigningKey>) =>
        createPaymentsService({
          db: ctx.database.db,
          masterKey: ctx.masterKey,
          ledger: ctx.services.ledger,
          orgs: ctx.services.orgs,
          rail: sm2Bank.rail(),
          // The Ed25519 key is given too: the bank's SM2 key decides which one signs.
          external: { key: platformKey, sm2Key, backoffBaseMs: 20, maxBackoffMs: 100 },
        });
      const sent = instruction();
      const receipt = await via(platformSm2).sendPayment(payer, sent);
      expect(receipt).toMatchObject({ instructionId: sent.instructionId, duplicate: false });
      expect(receipt.bankReference).toMatch(/^BK[0-9A-F]{16}$/);
      expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'accepted', attempts: 1 });
      expect(await sm2Bank.stats()).toMatchObject({ received: 1, distinctPayments: 1, amountFen: 30_000 });

      const refused = instruction();
      expect(await rejection(via(newSm2SigningKey()).sendPayment(payer, refused))).toBe('PAYMENT_REFUSED');
      expect(await rowOf(refused.instructionId)).toMatchObject({ status: 'refused', lastError: 'HTTP 401 UNKNOWN_KEY' });
    } finally {
      await sm2Bank.stop();
    }
  });

  it('a bank key that is neither Ed25519 nor SM2 stops the rail’s configuration with a clear message', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p256 = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => paymentsVia({ kind: 'external', baseUrl: bank.url, publicKey: p256 })).toThrow(
      'YIBAN_BANK_PUBLIC_KEY: the bank key must be Ed25519 or SM2',
    );
    expect(() => paymentsVia({ kind: 'external', baseUrl: bank.url, publicKey: 'not a key' })).toThrow('not a public key');
  });

  it('an answer not signed by the pinned bank key is not taken; the instruction stays pending and a resend is booked once', async () => {
    const sent = instruction();
    const wrong = newSigningKey('bank');
    const pinnedWrong = paymentsVia({ ...bank.rail(), keyId: bank.keyId, publicKey: wrong.publicKeyPem });
    const before = await bank.stats();
    expect(await rejection(pinnedWrong.sendPayment(payer, sent))).toBe('DEPARTMENT_RESPONSE_INVALID');
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'pending' });
    const receipt = await paymentsVia(bank.rail()).sendPayment(payer, sent);
    expect(receipt.duplicate).toBe(false);
    const after = await bank.stats();
    expect(after.distinctPayments - before.distinctPayments).toBe(1);
    expect(after.replayed - before.replayed).toBe(1);
  });

  it('the bank refuses a replayed request, answers a re-signed resend from its booking, and refuses the id with another body', async () => {
    const sent = instruction();
    const url = `${bank.url}/v1/payments`;
    const body = JSON.stringify(sent);
    const post = async (signed: { headers: Record<string, string>; body: string }) => {
      const response = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const signed = await signRequest(platformKey, { url, body, idempotencyKey: sent.instructionId });
    const first = await post(signed);
    expect(first.status).toBe(200);
    expect(await post(signed)).toMatchObject({ status: 401, body: { error: 'REPLAYED_NONCE' } });
    const resent = await post(await signRequest(platformKey, { url, body, idempotencyKey: sent.instructionId }));
    expect(resent).toEqual(first);
    const changed = JSON.stringify({ ...sent, amountFen: sent.amountFen + 1 });
    expect(await post(await signRequest(platformKey, { url, body: changed, idempotencyKey: sent.instructionId }))).toMatchObject({
      status: 409,
      body: { error: 'INSTRUCTION_REUSED' },
    });
    const stats = await bank.stats();
    expect(stats.refused).toMatchObject({ REPLAYED_NONCE: 1, INSTRUCTION_REUSED: 1 });
  });
});
