import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { fieldDigest, parsePayload } from '../../verify/document.ts';

// A 1×1 transparent PNG.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

describe.each(testEngines())('share links and registered signatures on %s', (engine) => {
  let ctx: TestContext;
  let now = new Date();
  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('registers a reviewer signature once the township administrator activates it', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const townshipAdmin = await ctx.newStaff('township_admin', '130123100');
    const otherTownship = await ctx.newStaff('township_admin', '130123001');
    expect(await rejection(ctx.services.sharing.uploadSignature(reviewer, 'data:image/png;base64,AAAA'))).toBe('VALIDATION_FAILED');
    const first = await ctx.services.sharing.uploadSignature(reviewer, PNG);
    expect(first.status).toBe('pending');
    expect(await ctx.services.sharing.activeSignature(reviewer.accountId)).toBeNull();
    expect(await rejection(ctx.services.sharing.activateSignature(otherTownship, first.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.sharing.activateSignature(reviewer, first.id))).toBe('NOT_FOUND');
    expect((await ctx.services.sharing.activateSignature(townshipAdmin, first.id)).status).toBe('active');
    expect(await ctx.services.sharing.activeSignature(reviewer.accountId)).toBe(PNG);
    const second = await ctx.services.sharing.uploadSignature(reviewer, PNG);
    await ctx.services.sharing.activateSignature(townshipAdmin, second.id);
    const mine = await ctx.services.sharing.listSignatures(reviewer, {});
    expect(mine.map((s) => [s.id, s.status])).toEqual(
      expect.arrayContaining([
        [first.id, 'retired'],
        [second.id, 'active'],
      ]),
    );
  });

  it('shares chosen fields through a link that expires and can be revoked', async () => {
    const resident = await ctx.newResident({ name: '李娜' });
    const stranger = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    expect(await rejection(ctx.services.sharing.createShareLink(stranger, cert.id, { hours: 24 }))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.sharing.createShareLink(resident, cert.id, { hours: 24, fields: ['nope'] }))).toBe(
      'VALIDATION_FAILED',
    );
    const link = await ctx.services.sharing.createShareLink(resident, cert.id, { hours: 24, fields: ['holderName', 'purpose'] });
    const opened = await ctx.services.sharing.openShareLink(link.token!);
    expect(opened.certificate.fields.map((f) => f.name)).toEqual(['holderName', 'purpose']);
    expect(opened.bundle.disclosures.map((d) => d.name)).toEqual(['holderName', 'purpose']);
    const payload = parsePayload(opened.bundle.payload)!;
    expect(opened.bundle.disclosures.every((d) => payload.fields.includes(fieldDigest(d)))).toBe(true);
    expect(JSON.stringify(opened)).not.toContain('塔元庄村"');
    expect(await rejection(ctx.services.sharing.openShareLink(link.token!.slice(0, -2) + 'xx'))).toBe('NOT_FOUND');

    now = new Date(Date.now() + 25 * 3_600_000);
    expect(await rejection(ctx.services.sharing.openShareLink(link.token!))).toBe('NOT_FOUND');
    now = new Date();
    await ctx.services.sharing.revokeShareLink(resident, cert.id, link.id);
    expect(await rejection(ctx.services.sharing.openShareLink(link.token!))).toBe('NOT_FOUND');
    expect((await ctx.services.sharing.listShareLinks(resident, cert.id)).map((l) => l.revoked)).toEqual([true]);
  });
});
