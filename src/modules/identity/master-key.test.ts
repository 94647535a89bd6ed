import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServices } from '../../app.ts';
import { AppError } from '../../core/errors.ts';
import { masterKeyFingerprint } from '../../core/sealing.ts';
import { freshResidentId, PASSWORD } from '../../../test/factories.ts';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { ensureMasterKey, recordedFingerprint, residentsProbe, watchMasterKey } from './master-key.ts';

const codeOf = (error: unknown) => (error instanceof AppError ? error.code : String(error));

/** Identity on a fresh database: no divisions or catalogue needed here. */
async function keyContext(engine: Parameters<typeof createTestDatabase>[0]) {
  const database = await createTestDatabase(engine);
  const masterKey = randomBytes(32);
  const services = createServices(database, { masterKey });
  const newResident = () =>
    services.identity.registerResident({ name: '测试居民', residentId: freshResidentId(), phone: '13900000009', password: PASSWORD });
  return { database, masterKey, services, newResident, close: () => database.close() };
}

describe.each(testEngines())('master key fingerprint (%s)', { timeout: 180_000 }, (engine) => {
  let ctx: {
    database: Database;
    masterKey: Buffer;
    services: ReturnType<typeof createServices>;
    newResident: () => Promise<unknown>;
    close: () => Promise<void>;
  };
  afterEach(async () => ctx?.close());

  it('is an HMAC under a derived key, not the key nor a plain hash of it', () => {
    const key = randomBytes(32);
    const fingerprint = masterKeyFingerprint(key);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).toBe(masterKeyFingerprint(Buffer.from(key)));
    expect(fingerprint).not.toBe(masterKeyFingerprint(randomBytes(32)));
    for (const plain of [
      key.toString('hex'),
      createHash('sha256').update(key).digest('hex'),
      createHash('sha256').update(key.toString('base64')).digest('hex'),
    ]) {
      expect(fingerprint).not.toBe(plain);
    }
  });

  it('is recorded by the first process, and another key is refused', async () => {
    ctx = await keyContext(engine);
    const db = ctx.database.db;
    await ensureMasterKey(db, ctx.masterKey);
    expect(await recordedFingerprint(db)).toBe(masterKeyFingerprint(ctx.masterKey));
    const other = randomBytes(32);
    const refused = await ensureMasterKey(db, other).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('MASTER_KEY_MISMATCH');
    expect((refused as AppError).params).toEqual({
      expected: masterKeyFingerprint(ctx.masterKey).slice(0, 16),
      actual: masterKeyFingerprint(other).slice(0, 16),
    });
    // Nothing changed: the right key still opens it.
    expect(await recordedFingerprint(db)).toBe(masterKeyFingerprint(ctx.masterKey));
    await ensureMasterKey(db, ctx.masterKey);
  });

  it('makes a second account for one ID number impossible under another key, even past the check', async () => {
    ctx = await keyContext(engine);
    const residentId = freshResidentId();
    const input = { name: '张三', residentId, phone: '13900000001', password: PASSWORD };
    await ctx.services.identity.registerResident(input);
    // A second set of services with another key on the same database, as a server that skipped the check would be.
    const intruder = createServices(ctx.database, { masterKey: randomBytes(32) });
    expect(await intruder.identity.findResidentByResidentId(residentId)).toBeNull();
    await expect(intruder.identity.registerResident({ ...input, phone: '13900000002' })).rejects.toThrow();
    const { rows } = await ctx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from residents`);
    expect(rows[0]!.n).toBe(1);
    const accounts = await ctx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from accounts where kind = 'resident'`);
    expect(accounts.rows[0]!.n).toBe(1);
  });

  it('adopts a database from before fingerprints only with the key its data opens with', async () => {
    ctx = await keyContext(engine);
    const db = ctx.database.db;
    await ctx.newResident();
    // As before migration 0005: no recorded fingerprint, residents without one, a nullable column.
    await db.execute(sql`alter table residents alter column key_fingerprint drop not null`);
    await db.execute(sql`update residents set key_fingerprint = null`);
    await db.execute(sql`delete from master_key`);
    const other = randomBytes(32);
    expect(codeOf(await ensureMasterKey(db, other, [residentsProbe(db, other)]).catch((e: unknown) => e))).toBe('MASTER_KEY_MISMATCH');
    expect(await recordedFingerprint(db)).toBeNull();
    await ensureMasterKey(db, ctx.masterKey, [residentsProbe(db, ctx.masterKey)]);
    await ensureMasterKey(db, ctx.masterKey, [residentsProbe(db, ctx.masterKey)]);
    expect(await recordedFingerprint(db)).toBe(masterKeyFingerprint(ctx.masterKey));
    const { rows } = await db.execute<{ fingerprint: string | null; nullable: string }>(
      sql`select r.key_fingerprint as fingerprint, c.is_nullable as nullable from residents r,
          information_schema.columns c where c.table_name = 'residents' and c.column_name = 'key_fingerprint' and c.table_schema = current_schema()`,
    );
    expect(rows).toEqual([{ fingerprint: masterKeyFingerprint(ctx.masterKey), nullable: 'NO' }]);
  });

  it('stops a running server once the recorded key is no longer its own', async () => {
    ctx = await keyContext(engine);
    const db = ctx.database.db;
    await ensureMasterKey(db, ctx.masterKey);
    const stops: AppError[] = [];
    const stop = watchMasterKey(db, ctx.masterKey, { intervalMs: 20, onMismatch: (e) => stops.push(e) });
    try {
      // As a rotation by another process would leave it.
      await db.execute(sql`update master_key set fingerprint = ${masterKeyFingerprint(randomBytes(32))}`);
      await vi.waitFor(() => expect(stops.map((e) => e.code)).toEqual(['MASTER_KEY_MISMATCH']), { timeout: 30_000, interval: 20 });
    } finally {
      stop();
    }
  });
});
