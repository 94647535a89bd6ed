import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, freshResidentId, type TestContext } from '../../../test/factories.ts';
import { systemPrincipal, type Principal } from '../identity/principal.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import type { PaymentInstruction } from './payments.ts';
import { internalBankReference } from './payment-rail.ts';
import { sharingPayments } from './sharing.tables.ts';

describe.each(testEngines())('payment instructions on the internal rail on %s', (engine) => {
  let ctx: TestContext;
  let civil: { code: string; path: string };
  let benefits: Principal;
  let officer: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const org = await ctx.services.orgs.getOrg(ctx.departments.civil_affairs!);
    civil = { code: org!.code, path: org!.path };
    // The benefits module's event worker acts as a system principal at the payer.
    benefits = systemPrincipal({ actor: 'benefits', at: { orgCode: civil.code, orgPath: civil.path, actions: ['payment.send'] } });
    officer = await ctx.newStaff('department_officer', civil.code);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const payments = () => ctx.services.payments;
  const instruction = (overrides: Partial<PaymentInstruction> = {}): PaymentInstruction => ({
    instructionId: randomUUID(),
    payerOrgCode: civil.code,
    payeeResidentId: freshResidentId(),
    payeeName: '王秀英',
    amountFen: 12_000,
    purpose: 'benefit.old_age_allowance',
    reference: `${randomUUID()}:2026-12`,
    ...overrides,
  });
  const rowOf = async (id: string) =>
    (await ctx.database.db.select().from(sharingPayments).where(eq(sharingPayments.instructionId, id)))[0];

  it('sends a batch in one go with the same outcome per instruction as one by one: new ones accepted with a leaf each, a resend a duplicate, a changed one a conflict', async () => {
    const earlier = instruction();
    await payments().sendPayment(benefits, earlier);
    const fresh = [instruction(), instruction()];
    const changed = { ...earlier, amountFen: earlier.amountFen + 1 };
    const results = await payments().sendPayments(benefits, [fresh[0]!, earlier, changed, fresh[1]!]);
    expect(results[0]).toMatchObject({
      instructionId: fresh[0]!.instructionId,
      duplicate: false,
      bankReference: internalBankReference(fresh[0]!.instructionId),
    });
    expect(results[1]).toMatchObject({ instructionId: earlier.instructionId, duplicate: true });
    expect(results[2]).toMatchObject({ code: 'CONFLICT' });
    expect(results[3]).toMatchObject({ instructionId: fresh[1]!.instructionId, duplicate: false });
    for (const f of fresh) {
      const row = await rowOf(f.instructionId);
      expect(row).toMatchObject({ status: 'accepted', attempts: 1 });
      expect(row!.ledgerEntryId).not.toBeNull();
    }
    const leaves = await Promise.all(fresh.map(async (f) => (await rowOf(f.instructionId))!.ledgerEntryId));
    expect(new Set(leaves).size).toBe(2);
    // Again: every one a duplicate, nothing sent or written twice.
    const again = await payments().sendPayments(benefits, fresh);
    expect(again.every((r) => !(r instanceof Error) && r.duplicate)).toBe(true);
    // Another org's officer may send none of them.
    const health = await ctx.services.orgs.getOrg(ctx.departments.health!);
    const other = systemPrincipal({ actor: 'benefits', at: { orgCode: health!.code, orgPath: health!.path, actions: ['payment.send'] } });
    expect(await payments().sendPayments(other, [instruction()])).toEqual([expect.objectContaining({ code: 'FORBIDDEN' })]);
  });

  it('accepts an instruction once: the bank reference from its id, a ledger leaf with digests only, the payee masked', async () => {
    const sent = instruction();
    const receipt = await payments().sendPayment(benefits, sent);
    expect(receipt).toMatchObject({
      instructionId: sent.instructionId,
      bankReference: internalBankReference(sent.instructionId),
      duplicate: false,
    });
    const row = await rowOf(sent.instructionId);
    expect(row).toMatchObject({ status: 'accepted', attempts: 1, amountFen: 12_000 });
    expect(row?.payeeMasked).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
    expect(JSON.stringify(row)).not.toContain(sent.payeeResidentId);

    await ctx.services.ledger.sequenceNow();
    const [leaf] = await ctx.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, row!.ledgerEntryId!));
    expect(leaf?.kind).toBe('payment.instruction');
    const text = new TextDecoder().decode(leaf!.data);
    expect(JSON.parse(text)).toMatchObject({
      kind: 'payment.instruction',
      id: sent.instructionId,
      payer: civil.code,
      bank: receipt.bankReference,
    });
    for (const secret of [sent.payeeResidentId, sent.payeeName, sent.reference, '12000']) expect(text).not.toContain(secret);

    const again = await payments().sendPayment(benefits, sent);
    expect(again).toEqual({ ...receipt, duplicate: true });
    expect((await rowOf(sent.instructionId))?.attempts).toBe(1);
  });

  it('two concurrent sends of one instruction make one payment and one leaf', async () => {
    const sent = instruction();
    const receipts = await Promise.all([payments().sendPayment(benefits, sent), payments().sendPayment(officer, sent)]);
    expect(new Set(receipts.map((r) => r.bankReference)).size).toBe(1);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    const rows = await ctx.database.db.select().from(sharingPayments).where(eq(sharingPayments.instructionId, sent.instructionId));
    expect(rows).toHaveLength(1);
    await ctx.services.ledger.sequenceNow();
    const leaves = (await ctx.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.kind, 'payment.instruction'))).filter((e) =>
      new TextDecoder().decode(e.data).includes(sent.instructionId),
    );
    expect(leaves).toHaveLength(1);
  });

  it('the same id with another amount, payee or reference is a conflict, and nothing changes', async () => {
    const sent = instruction();
    const receipt = await payments().sendPayment(benefits, sent);
    expect(await rejection(payments().sendPayment(benefits, { ...sent, amountFen: 12_001 }))).toBe('CONFLICT');
    expect(await rejection(payments().sendPayment(benefits, { ...sent, payeeResidentId: freshResidentId() }))).toBe('CONFLICT');
    expect(await rejection(payments().sendPayment(benefits, { ...sent, reference: 'other:2026-12' }))).toBe('CONFLICT');
    expect(await rowOf(sent.instructionId)).toMatchObject({ status: 'accepted', amountFen: 12_000, bankReference: receipt.bankReference });
  });

  it('refuses a principal of another org, a resident, and a system actor without payment.send, before writing anything', async () => {
    const health = await ctx.services.orgs.getOrg(ctx.departments.health!);
    const otherSystem = systemPrincipal({
      actor: 'benefits',
      at: { orgCode: health!.code, orgPath: health!.path, actions: ['payment.send'] },
    });
    const viewOnly = systemPrincipal({ actor: 'benefits', at: { orgCode: civil.code, orgPath: civil.path, actions: ['payment.view'] } });
    const healthOfficer = await ctx.newStaff('department_officer', health!.code);
    const resident = await ctx.newResident();
    const supervisor = await ctx.newStaff('supervisor', '130123');
    for (const principal of [otherSystem, viewOnly, healthOfficer, resident, supervisor]) {
      const sent = instruction();
      expect(await rejection(payments().sendPayment(principal, sent))).toBe('FORBIDDEN');
      expect(await rowOf(sent.instructionId)).toBeUndefined();
    }
    expect(await rejection(payments().sendPayment(benefits, instruction({ payerOrgCode: 'NO-SUCH-ORG' })))).toBe('FORBIDDEN');
  });

  it('checks the instruction: a uuid id, a valid ID number, a positive whole amount in fen, a purpose code, a reference', async () => {
    const code = (o: Partial<PaymentInstruction>) => rejection(payments().sendPayment(benefits, instruction(o)));
    expect(await code({ instructionId: 'grant-1:2026-12' })).toBe('VALIDATION_FAILED');
    const valid = freshResidentId();
    const wrongCheckDigit = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    expect(await code({ payeeResidentId: wrongCheckDigit })).toBe('INVALID_RESIDENT_ID');
    for (const amountFen of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 1]) expect(await code({ amountFen })).toBe('VALIDATION_FAILED');
    expect(await code({ purpose: 'Old Age' })).toBe('VALIDATION_FAILED');
    expect(await code({ reference: '' })).toBe('VALIDATION_FAILED');
    expect(await code({ payeeName: ' ' })).toBe('VALIDATION_FAILED');
  });

  it("lists the payer's instructions for its staff, masked, in pages; figures; nothing for another org", async () => {
    const payer = await ctx.services.orgs.getOrg(ctx.departments.medical_security!);
    const medical = systemPrincipal({ actor: 'benefits', at: { orgCode: payer!.code, orgPath: payer!.path, actions: ['payment.send'] } });
    const sent = [instruction({ payerOrgCode: payer!.code, amountFen: 100 }), instruction({ payerOrgCode: payer!.code, amountFen: 250 })];
    for (const s of sent) await payments().sendPayment(medical, s);
    const staff = await ctx.newStaff('department_officer', payer!.code);
    const first = await payments().listPayments(staff, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ instructionId: sent[1]!.instructionId, status: 'accepted', amountFen: 250 });
    expect(first.items[0]!.payee).toMatch(/\*{8}/);
    const second = await payments().listPayments(staff, { payerOrgCode: payer!.code, cursor: first.next!, limit: 1 });
    expect(second.items.map((p) => p.instructionId)).toEqual([sent[0]!.instructionId]);
    expect(second.next).toBeNull();
    expect(await payments().paymentFigures(staff)).toEqual({ sent: 2, accepted: 2, amountFen: 350 });

    // Civil affairs' officer sees civil affairs' payments only; a county supervisor sees every department's below.
    expect((await payments().listPayments(officer)).items.every((p) => p.payerOrgCode === civil.code)).toBe(true);
    expect(await rejection(payments().listPayments(officer, { payerOrgCode: payer!.code }))).toBe('FORBIDDEN');
    expect(await rejection(payments().paymentFigures(await ctx.newResident()))).toBe('FORBIDDEN');
    const supervisor = await ctx.newStaff('supervisor', payer!.path.split('.').at(-2)!);
    const seen = await payments().paymentFigures(supervisor);
    expect(seen.sent).toBeGreaterThanOrEqual(2);
  });
});
