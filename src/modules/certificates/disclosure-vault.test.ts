import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { fieldDigest, parsePayload } from '../../verify/document.ts';
import { createDisclosureVault, sealLegacyDisclosures, type StoredDisclosure } from './disclosure-vault.ts';

describe('disclosure vault', () => {
  const key = randomBytes(32);
  const vault = createDisclosureVault(key);
  const id = '1.2.156.3005.2.1.54130123C231002428.0000000001.001.X';
  const clear = [{ name: 'residentId', value: '13012319900307001X', salt: 'a1'.repeat(16) }];

  it('seals value and salt together, bound to the certificate and the field', () => {
    const sealed = vault.seal(id, clear);
    expect(sealed).toEqual([{ name: 'residentId', sealed: expect.any(String) as string }]);
    expect(JSON.stringify(sealed)).not.toContain('13012319900307001X');
    expect(JSON.stringify(sealed)).not.toContain('a1a1');
    expect(vault.open(id, sealed)).toEqual(clear);
    expect(() => vault.open(`${id}Y`, sealed)).toThrow();
    expect(() => vault.open(id, [{ name: 'holderName', sealed: sealed[0]!.sealed }])).toThrow();
    expect(() => createDisclosureVault(randomBytes(32)).open(id, sealed)).toThrow();
  });

  it('reads a clear entry from before sealing as it is', () => {
    expect(vault.open(id, clear)).toEqual(clear);
  });
});

describe.each(testEngines())('certificates from before sealing (%s)', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  }, 300_000);
  afterAll(async () => ctx?.close());

  it('are sealed at start, once, and still verify', async () => {
    const resident = await ctx.newResident({ name: '赵六' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    const before = await ctx.services.certificates.document(resident, cert.id);
    // As an older version stored it: the disclosures in clear.
    await ctx.database.db.execute(
      sql`update certificates set disclosures = ${JSON.stringify(before.disclosures)}::jsonb where id = ${cert.id}`,
    );
    const raw = async () =>
      (await ctx.database.db.execute<{ d: unknown }>(sql`select disclosures as d from certificates where id = ${cert.id}`)).rows[0]!.d;
    expect(JSON.stringify(await raw())).toContain(resident.residentId);

    expect(await sealLegacyDisclosures(ctx.database.db, ctx.masterKey)).toBe(1);
    const stored = (await raw()) as StoredDisclosure[];
    expect(JSON.stringify(stored)).not.toContain(resident.residentId);
    expect(stored.every((d) => Object.keys(d).sort().join() === 'name,sealed')).toBe(true);
    expect(await sealLegacyDisclosures(ctx.database.db, ctx.masterKey)).toBe(0);

    const after = await ctx.services.certificates.document(resident, cert.id);
    expect(after).toEqual(before);
    expect(after.disclosures.map(fieldDigest).sort()).toEqual(parsePayload(after.payload)!.fields);
    expect(after.disclosures.find((d) => d.name === 'residentId')?.value).toBe(resident.residentId);
  });
});
