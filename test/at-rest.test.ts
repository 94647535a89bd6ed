import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/platform.ts';
import type { Db } from '../src/db/database.ts';
import { residentIdCheckChar } from '../src/modules/identity/resident-id.ts';
import { seedBundles } from '../src/modules/bundles/bundle-seed.ts';
import { seedDatasets, seedGrants } from '../src/modules/sharing/sharing.seed.ts';
import { motherRecords } from '../src/modules/sharing/sharing-records.seed.ts';
import { decodeQr } from '../src/verify/bundle.ts';
import { encodeQrText } from '../src/modules/certificates/pdf/qr-text.ts';
import { testEngines } from './db.ts';
import { createTestContext, freshResidentId, PASSWORD, VILLAGE } from './factories.ts';

/** Every GB 11643-shaped number (17 digits and a matching check character) in `text`. */
export function validIdsIn(text: string): string[] {
  const found = text.match(/(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g) ?? [];
  return found.filter((id) => residentIdCheckChar(id.slice(0, 17)) === id[17]!.toUpperCase());
}

/** Every row of every table as text; bytea columns also as their bytes (ledger leaves are bytea). */
async function dumpAsText(db: Db): Promise<string> {
  const { rows: tables } = await db.execute<{ schema: string; name: string }>(
    sql`select table_schema as schema, table_name as name from information_schema.tables
        where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE' order by 1, 2`,
  );
  const parts: string[] = [];
  for (const t of tables) {
    const table = sql.raw(`"${t.schema}"."${t.name}"`);
    const { rows } = await db.execute<{ line: string }>(sql`select t::text as line from ${table} t`);
    parts.push(`-- ${t.schema}.${t.name}`, ...rows.map((r) => r.line));
    const { rows: binary } = await db.execute<{ name: string }>(
      sql`select column_name as name from information_schema.columns where table_schema = ${t.schema} and table_name = ${t.name} and data_type = 'bytea'`,
    );
    for (const c of binary) {
      const { rows: bytes } = await db.execute<{ line: string | null }>(
        sql`select encode(${sql.raw(`"${c.name}"`)}, 'escape') as line from ${table}`,
      );
      parts.push(...bytes.map((r) => r.line ?? ''));
    }
  }
  return parts.join('\n');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe.each(testEngines())('no full resident ID number at rest (%s)', (engine) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-at-rest-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('after registration, cases, certificates with their views, share links, a batch and a bundle: not in any table, file or log line', async () => {
    const ctx = await createTestContext(engine, engine === 'pglite' ? { pgliteDir: dataDir } : {});
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const app = await buildApp(
      { database: ctx.database, services: ctx.services, close: async () => undefined },
      { logLevel: 'info', logStream },
    );
    const ids: string[] = [];
    let closed = false;
    try {
      const { services } = ctx;
      // Registration and login through HTTP, so that request logging sees ID numbers too.
      const residentId = freshResidentId();
      ids.push(residentId);
      const registered = await app.inject({
        method: 'POST',
        url: '/api/auth/residents/register',
        payload: { name: '李四', residentId, phone: '13912345678', password: PASSWORD, homeOrgCode: VILLAGE },
      });
      expect(registered.statusCode).toBe(201);
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-auth-mode': 'bearer' },
        payload: { kind: 'resident', residentIdOrPhone: residentId, password: PASSWORD, channel: 'app' },
      });
      expect(login.statusCode).toBe(200);
      const auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
      const resident = await ctx.login({ kind: 'resident', residentIdOrPhone: residentId, password: PASSWORD, channel: 'app' });

      const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
      const residence = {
        serviceCode: 'cert.residence',
        form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
      };
      const { case: c } = await services.applications.submit(resident, residence);
      await services.applications.act(reviewer, c.id, 'approve');
      const cert = await services.certificates.getByCase(resident, c.id);

      // Every rendition that carries the full number works, from what is stored.
      for (const url of [
        `/api/certificates/${cert.id}/document?fields=residentId,holderName`,
        `/api/certificates/${cert.id}/bundle?fields=residentId`,
      ]) {
        const res = await app.inject({ url, headers: auth });
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain(residentId);
      }
      const pdf = await app.inject({ url: `/api/certificates/${cert.id}/pdf?fields=holderName,residentId`, headers: auth });
      expect(pdf.statusCode).toBe(200);
      const bundle = await services.certificates.bundle(resident, cert.id, ['holderName', 'residentId']);
      expect(bundle.disclosures.find((d) => d.name === 'residentId')?.value).toBe(residentId);
      await services.ledger.integrate();
      const withProof = await services.certificates.bundle(resident, cert.id, ['holderName', 'residentId']);
      expect((await services.certificates.verify(withProof)).verdict).toBe('VALID');
      const fromQr = await decodeQr(encodeQrText(withProof));
      expect(fromQr && (await services.certificates.verify(fromQr)).verdict).toBe('VALID');
      // A share link never carries the full number (sharing-and-signatures.ts); its view opens from the sealed row.
      const link = await services.sharing.createShareLink(resident, cert.id, { hours: 24, fields: ['holderName', 'residentIdMasked'] });
      const shared = await services.sharing.openShareLink(link.token!);
      expect(shared.bundle.disclosures.map((d) => d.value)).toEqual(['李四', cert.holder.residentIdMasked]);
      expect((await services.certificates.verify(shared.bundle)).verdict).toBe('VALID');
      const licence = await services.certificates.findLicence(resident.accountId, 'residence');
      expect(licence?.fields.holderName).toBe('李四');

      // A batch approval (the other issuance path).
      const others = [await ctx.newResident(), await ctx.newResident()];
      ids.push(...others.map((o) => o.residentId));
      const cases = [];
      for (const o of others) cases.push((await services.applications.submit(o, residence)).case.id);
      const results = await services.applications.decideMany(reviewer, { ids: cases, decision: 'approve' });
      expect(results.map((r) => r.outcome)).toEqual(['approved', 'approved']);
      const batchDoc = await services.certificates.document(others[0]!, (await services.certificates.getByCase(others[0]!, cases[0]!)).id, [
        'residentId',
      ]);
      expect(batchDoc.disclosures[0]?.value).toBe(others[0]!.residentId);

      // A birth bundle: prefill through sharing, five certificates by instant approval.
      await services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
      for (const grant of seedGrants(ctx.departments, new Date(Date.now() + 365 * 86_400_000)))
        await services.sharingAdmin.ensureGrant(grant);
      await seedBundles(ctx.database.db, services, ctx.departments);
      const mother = await ctx.newResident({ name: '王芳' });
      ids.push(mother.residentId);
      const asMother = { residentId: mother.residentId, name: '王芳', gender: 'female', birthDate: '1992-03-05' } as const;
      for (const [dataset, records] of Object.entries(motherRecords(asMother))) await services.sharingAdmin.upsertRecords(dataset, records);
      const { bundle: started } = await services.bundles.start(
        mother,
        { bundle: 'birth', form: {}, consent: true },
        `at-rest-${Date.now()}`,
      );
      expect(started.state).toBe('done');
      await services.ledger.integrate();

      // The database, as text.
      let dump: string;
      if (engine === 'postgres') {
        const { rows } = await ctx.database.db.execute<{ name: string }>(sql`select current_database() as name`);
        const url = new URL(process.env.DATABASE_URL!);
        url.pathname = `/${rows[0]!.name}`;
        dump = execFileSync('pg_dump', ['--data-only', '--inserts', url.toString()], { maxBuffer: 512 * 1024 * 1024 }).toString();
        expect(dump).toContain('INSERT INTO public.certificates');
      } else {
        dump = await dumpAsText(ctx.database.db);
        expect(dump).toContain('-- public.certificates');
      }
      // Not vacuous: the dump holds the certificates and the masked numbers.
      expect(dump).toContain(cert.identifier);
      expect(dump).toContain(residentId.slice(0, 6) + '********');
      for (const id of ids) expect(dump).not.toContain(id);
      expect(validIdsIn(dump)).toEqual([]);

      const logText = logs.join('');
      expect(logText).toContain('/api/auth/login');
      for (const id of ids) expect(logText).not.toContain(id);
      expect(validIdsIn(logText)).toEqual([]);

      if (engine === 'pglite') {
        // What PGlite wrote to disk: data files and the WAL.
        await app.close();
        await ctx.close();
        closed = true;
        const files = filesUnder(path.join(dataDir, 'pgdata'));
        expect(files.some((f) => f.includes('pg_wal'))).toBe(true);
        for (const file of files) {
          const bytes = readFileSync(file).toString('latin1');
          for (const id of ids) expect(bytes.includes(id), file).toBe(false);
          expect(validIdsIn(bytes), file).toEqual([]);
        }
      }
    } finally {
      if (!closed) {
        await app.close();
        await ctx.close();
      }
    }
  }, 600_000);
});
