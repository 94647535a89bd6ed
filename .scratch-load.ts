import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase } from './src/db/database.ts';
import { loadDivisions } from './src/modules/orgs/division-loader.ts';
const which = process.argv[2];
if (which === 'pg') {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
  await admin.query('drop database if exists yiban_scratch_orgs'); await admin.query('create database yiban_scratch_orgs'); await admin.end();
  const d = await openDatabase({ engine: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/yiban_scratch_orgs' });
  await d.migrate();
  for (let i = 0; i < 2; i++) {
    const r = await loadDivisions(d.db, { scope: 'all', batchSize: Number(process.argv[3] ?? 10000), concurrency: Number(process.argv[4] ?? 2) });
    console.log({ ...r, skippedSample: r.skippedSample.length });
  }
  console.log((await d.db.execute(sql`select count(*) from orgs`)).rows);
  await d.close();
  const admin2 = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin2.connect();
  await admin2.query('drop database yiban_scratch_orgs'); await admin2.end();
} else {
  const d = await openDatabase({ engine: 'pglite', memory: true });
  await d.migrate();
  for (let i = 0; i < 2; i++) {
    const r = await loadDivisions(d.db, { scope: 'hebei', batchSize: Number(process.argv[3] ?? 10000) });
    console.log({ ...r, skippedSample: r.skippedSample.length });
  }
  await d.close();
}
