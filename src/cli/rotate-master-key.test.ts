import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../app.ts';
import { AppError } from '../core/errors.ts';
import { masterKeyFingerprint } from '../core/sealing.ts';
import { ensureMasterKey, recordedFingerprint } from '../modules/identity/master-key.ts';
import { seedDatasets } from '../modules/sharing/sharing.seed.ts';
import { createTestContext, freshResidentId, PASSWORD, VILLAGE, type TestContext } from '../../test/factories.ts';
import { testEngines } from '../../test/db.ts';
import { rotateMasterKey } from './rotate-master-key.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};
const codeOf = (error: unknown) => (error instanceof AppError ? error.code : String(error));

describe.each(testEngines())('master key rotation (%s)', { timeout: 300_000 }, (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
  }, 300_000);
  afterAll(async () => ctx?.close());

  it('re-encrypts and re-hashes everything in one transaction; the platform works with the new key and refuses the old one', async () => {
    const oldKey = ctx.masterKey;
    const db = ctx.database.db;
    await ensureMasterKey(db, oldKey);
    const resident = await ctx.newResident({ name: '孙七' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    await ctx.services.ledger.integrate();
    await ctx.services.sharingAdmin.upsertRecords('ps.household_register', [
      { residentId: resident.residentId, data: { name: '孙七', householdHead: '孙七' } },
    ]);
    const before = await db.execute<{ cipher: string; hash: string }>(
      sql`select resident_id_cipher as cipher, resident_id_hash as hash from residents where account_id = ${resident.accountId}`,
    );

    // A wrong "current" key is refused, and so is the same key.
    expect(codeOf(await rotateMasterKey(db, randomBytes(32), randomBytes(32)).catch((e: unknown) => e))).toBe('MASTER_KEY_MISMATCH');
    expect(codeOf(await rotateMasterKey(db, oldKey, oldKey).catch((e: unknown) => e))).toBe('VALIDATION_FAILED');

    const newKey = randomBytes(32);
    const report = await rotateMasterKey(db, oldKey, newKey);
    ctx.masterKey = newKey;
    expect(report).toMatchObject({ residents: 1, certificates: 1, sharingRecords: 1 });
    expect(report.signingKeys).toBeGreaterThanOrEqual(2);
    expect(report.logKeys).toBe(1);
    expect(await recordedFingerprint(db)).toBe(masterKeyFingerprint(newKey));
    const after = await db.execute<{ cipher: string; hash: string; fingerprint: string }>(
      sql`select resident_id_cipher as cipher, resident_id_hash as hash, key_fingerprint as fingerprint from residents where account_id = ${resident.accountId}`,
    );
    expect(after.rows[0]!.cipher).not.toBe(before.rows[0]!.cipher);
    expect(after.rows[0]!.hash).not.toBe(before.rows[0]!.hash);
    expect(after.rows[0]!.fingerprint).toBe(masterKeyFingerprint(newKey));

    // The old key is refused from now on; the new one opens the database.
    expect(codeOf(await ensureMasterKey(db, oldKey).catch((e: unknown) => e))).toBe('MASTER_KEY_MISMATCH');
    await ensureMasterKey(db, newKey);
    const services = createServices(ctx.database, { masterKey: newKey });
    // Log in and look up by ID number.
    const { token } = await services.identity.login({
      kind: 'resident',
      residentIdOrPhone: resident.residentId,
      password: PASSWORD,
      channel: 'app',
    });
    const principal = (await services.identity.authenticate(token))!;
    expect(principal.accountId).toBe(resident.accountId);
    expect((await services.identity.findResidentByResidentId(resident.residentId))?.accountId).toBe(resident.accountId);
    // The certificate: its full number, PDF and verification.
    const doc = await services.certificates.document(principal, cert.id, ['residentId']);
    expect(doc.disclosures[0]?.value).toBe(resident.residentId);
    const pdf = await services.certificates.pdf(principal, cert.id);
    expect(Buffer.from(pdf.bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    await services.ledger.integrate();
    expect((await services.certificates.verify(await services.certificates.bundle(principal, cert.id))).verdict).toBe('VALID');
    // The seal signs new certificates; the dataset record is found under the new subject key.
    const staff = await services.identity.login({ kind: 'staff', username: reviewer.username, password: PASSWORD, channel: 'web' });
    const reviewerAgain = (await services.identity.authenticate(staff.token))!;
    const { case: second } = await services.applications.submit(principal, residence);
    await services.applications.act(reviewerAgain, second.id, 'approve');
    expect((await services.certificates.getByCase(principal, second.id)).status).toBe('active');
    const found = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from sharing_records where subject_key = ${services.sharingAdmin.subjectKeyOf(resident.residentId)}`,
    );
    expect(found.rows[0]!.n).toBe(1);
    // The same ID number cannot register again under the new key.
    expect(
      codeOf(
        await services.identity
          .registerResident({ name: '孙七', residentId: resident.residentId, phone: '13900000003', password: PASSWORD })
          .catch((e: unknown) => e),
      ),
    ).toBe('ALREADY_REGISTERED');
  });

  it('refuses, changing nothing, when a dataset record is about someone who is not a resident', async () => {
    const key = ctx.masterKey;
    await ctx.services.sharingAdmin.upsertRecords('ps.household_register', [{ residentId: freshResidentId(), data: { name: '新生儿' } }]);
    const refused = await rotateMasterKey(ctx.database.db, key, randomBytes(32)).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('CONFLICT');
    expect(await recordedFingerprint(ctx.database.db)).toBe(masterKeyFingerprint(key));
  });
});
