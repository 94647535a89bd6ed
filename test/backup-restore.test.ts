import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/app.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { checkMasterKey } from '../src/platform.ts';
import { adminQuery, databaseUrl } from './db-template.ts';
import { testEngines } from './db.ts';
import { createTestContext, VILLAGE } from './factories.ts';

const RESIDENCE = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

/**
 * The backup and restore of docs/OPERATIONS.md, as an engineer runs it: the database copied
 * (PostgreSQL: `pg_dump -Fc` and `pg_restore` into a new database; PGlite: the stopped data folder
 * copied), then opened with the master key kept apart from it. What was issued before the backup
 * verifies, the ledger's audit passes, residents' encrypted numbers read, the platform goes on
 * issuing; another master key is refused before anything is read.
 */
describe.each(testEngines())('backup and restore (%s)', (engine) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('restores a platform that verifies what it issued, passes its ledger audit and goes on; only with its own master key', async () => {
    const masterKey = randomBytes(32);
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-backup-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ctx = await createTestContext(engine, { masterKey, ...(engine === 'pglite' ? { pgliteDir: path.join(dir, 'live') } : {}) });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await ctx.close();
    });
    const resident = await ctx.newResident({ name: '张伟' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: before } = await ctx.services.applications.submit(resident, RESIDENCE);
    await ctx.services.applications.act(reviewer, before.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, before.id);
    await ctx.services.ledger.integrate();
    const bundle = await ctx.services.certificates.bundle(resident, cert.id, ['holderName', 'residentId']);
    const residentId = bundle.disclosures.find((d) => d.name === 'residentId')!.value;
    const audited = await ctx.services.ledger.audit();
    expect(audited.ok).toBe(true);
    expect(audited.entries).toBeGreaterThan(0);

    // The backup.
    let restore: () => Promise<Database>;
    if (engine === 'postgres') {
      const baseUrl = process.env.DATABASE_URL!;
      const { rows } = await ctx.database.db.execute<{ name: string }>(sql`select current_database() as name`);
      const dump = path.join(dir, 'yiban.dump');
      execFileSync('pg_dump', ['--format=custom', '--file', dump, databaseUrl(baseUrl, rows[0]!.name)]);
      await ctx.close();
      closed = true;
      restore = async () => {
        const name = `yiban_restore_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
        await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
        cleanups.push(() => adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', databaseUrl(baseUrl, name), dump]);
        return openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl, name), poolSize: 4 });
      };
    } else {
      await ctx.close();
      closed = true;
      cpSync(path.join(dir, 'live'), path.join(dir, 'copy'), { recursive: true });
      restore = () => openDatabase({ engine: 'pglite', dataDir: path.join(dir, 'copy') });
    }

    // Another master key: refused before anything is read or written.
    const wrong = await restore();
    try {
      await expect(checkMasterKey(wrong, randomBytes(32))).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });
    } finally {
      await wrong.close();
    }

    // Its own: everything as it was, and the platform goes on.
    const restored = await restore();
    try {
      await restored.migrate();
      await checkMasterKey(restored, masterKey);
      const services = createServices(restored, { masterKey });
      expect((await services.certificates.verify(bundle)).verdict).toBe('VALID');
      const again = await services.certificates.bundle(resident, cert.id, ['holderName', 'residentId']);
      expect(again.disclosures.find((d) => d.name === 'residentId')?.value).toBe(residentId);
      expect((await services.certificates.verify(again)).verdict).toBe('VALID');
      expect(await services.identity.revealResidentId(resident.accountId)).toBe(residentId);
      const restoredAudit = await services.ledger.audit();
      expect(restoredAudit.problems).toEqual([]);
      expect(restoredAudit.entries).toBe(audited.entries);

      const { case: after } = await services.applications.submit(resident, RESIDENCE);
      await services.applications.act(reviewer, after.id, 'approve');
      const next = await services.certificates.getByCase(resident, after.id);
      expect(next.id).not.toBe(cert.id);
      await services.ledger.integrate();
      const later = await services.ledger.audit();
      expect(later.ok).toBe(true);
      expect(later.entries).toBeGreaterThan(audited.entries);
      expect((await services.certificates.verify(await services.certificates.bundle(resident, next.id))).verdict).toBe('VALID');
    } finally {
      await restored.close();
    }
  }, 120_000);
});
