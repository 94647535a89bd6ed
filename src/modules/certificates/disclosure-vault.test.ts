import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { fieldDigest, parsePayload } from '../../verify/document.ts';
import { deriveKey, openText, sealText } from '../../core/sealing.ts';
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

  it('compresses a long value before sealing it, and opens values sealed before compression', () => {
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `FL${i} 注射用头孢曲松钠：金额 ${100 + i}.00，先行自付 ${i}.50。乙类先行自付〔B-PRESELF，450800-2025-07，桂医保发〔2025〕12号〕`,
    ).join('\n');
    const long = [{ name: 'lines', value: lines, salt: 'b2'.repeat(16) }];
    const [sealed] = vault.seal(id, long);
    // Sealed uncompressed, the value alone would be ~4/3 of its UTF-8 bytes in base64.
    expect(Buffer.from(sealed!.sealed, 'base64').length).toBeLessThan(Buffer.byteLength(lines) / 4);
    expect(vault.open(id, [sealed!])).toEqual(long);
    // The compressed form is under the seal's tag like the rest: a flipped byte does not open.
    const raw = Buffer.from(sealed!.sealed, 'base64');
    raw[20] = raw[20]! ^ 1;
    expect(() => vault.open(id, [{ name: 'lines', sealed: raw.toString('base64') }])).toThrow();
    // A long value sealed by the earlier vault (its JSON sealed as it is) still opens.
    const before = sealText(
      deriveKey(key, 'yiban/certificates/disclosures/aes-256-gcm/v1'),
      JSON.stringify([lines, 'b2'.repeat(16)]),
      `${id}\nlines`,
    );
    expect(vault.open(id, [{ name: 'lines', sealed: before }])).toEqual(long);
    // A short value is sealed as its JSON.
    const [short] = vault.seal(id, clear);
    expect(openText(deriveKey(key, 'yiban/certificates/disclosures/aes-256-gcm/v1'), short!.sealed, `${id}\nresidentId`)).toBe(
      JSON.stringify(['13012319900307001X', 'a1'.repeat(16)]),
    );
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
