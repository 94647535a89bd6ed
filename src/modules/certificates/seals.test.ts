import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';

describe.each(testEngines())('seal management on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("shows an org's seal image, key and certificate to its staff and the administrators above it only", async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const townshipAdmin = await ctx.newStaff('township_admin', '130123100');
    const before = await ctx.services.seals.orgSeal(townshipAdmin, VILLAGE);
    // No key until the village issues its first certificate.
    expect(before.keys).toEqual([]);
    expect(before.image).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(before.image.split(',')[1]!, 'base64').toString('utf8')).toContain(before.orgName[0]!);

    const resident = await ctx.newResident();
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);

    const seal = await ctx.services.seals.orgSeal(reviewer, VILLAGE);
    expect(seal.keys).toHaveLength(1);
    const [key] = seal.keys;
    expect(key).toMatchObject({ algorithm: 'SM2', status: 'active' });
    expect(key!.subject).toContain(seal.orgName);
    expect(key!.issuer).toContain('一办平台根证书');
    expect(new Date(key!.notAfter).getTime()).toBeGreaterThan(Date.now() + 4 * 365 * 86_400_000);
    expect(key!.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // It is the key that sealed the certificate.
    const doc = await ctx.services.certificates.document(resident, cert.id);
    expect(doc.payload).toContain(key!.keyId);
    expect((await ctx.services.seals.orgSeal(townshipAdmin, VILLAGE)).keys.map((k) => k.keyId)).toEqual([key!.keyId]);

    const otherTownship = await ctx.newStaff('township_admin', '130123001');
    const neighbour = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    expect(await rejection(ctx.services.seals.orgSeal(otherTownship, VILLAGE))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.seals.orgSeal(neighbour, VILLAGE))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.seals.orgSeal(resident, VILLAGE))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.seals.orgSeal(townshipAdmin, '999999'))).toBe('NOT_FOUND');
  });
});
