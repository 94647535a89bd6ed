/**
 * What a service test pays for its database before its first assertion: the seeded test database
 * made the old way (PGlite initdb or CREATE DATABASE, every migration, the test-context seed) and
 * from the run's template (test/db-template.ts: PGlite `loadDataDir` of a dumped data folder,
 * PostgreSQL `CREATE DATABASE … TEMPLATE`), in the same process and the same run.
 *
 *   npx tsx bench/test-databases.ts [--rounds 3]      (PGlite; with DATABASE_URL, PostgreSQL too)
 *
 * CPU figures are this process's (process.cpuUsage); PostgreSQL's own CPU is not in them. Wall-clock
 * figures on a loaded machine are printed with the load average and say little.
 */
import { loadavg } from 'node:os';
import { openDatabase, type Database, type Engine } from '../src/db/database.ts';
import { adminQuery, databaseUrl, pgliteFromTemplate, seedTestDatabase, startDbTemplates } from '../test/db-template.ts';

const argRounds = process.argv.indexOf('--rounds');
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 3;
const baseUrl = process.env.DATABASE_URL;
const engines: Engine[] = baseUrl ? ['pglite', 'postgres'] : ['pglite'];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

async function measure(make: () => Promise<{ close(): Promise<void> }>): Promise<{ cpuMs: number; wallMs: number }[]> {
  const runs: { cpuMs: number; wallMs: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const made = await make();
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    runs.push({ cpuMs: (used.user + used.system) / 1000, wallMs });
    await made.close();
  }
  return runs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (runs: { cpuMs: number; wallMs: number }[]) =>
  `CPU median ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms, wall median ${median(runs.map((r) => r.wallMs)).toFixed(0)} ms (${runs.length} databases)`;

let counter = 0;
async function oldWay(engine: Engine): Promise<Database> {
  if (engine === 'pglite') {
    const database = await openDatabase({ engine: 'pglite', memory: true });
    await database.migrate();
    await seedTestDatabase(database);
    return database;
  }
  const name = `yiban_bench_db_${process.pid}_${counter++}`;
  await adminQuery(baseUrl!, `CREATE DATABASE ${name}`);
  const database = await openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl!, name), poolSize: 4 });
  await database.migrate();
  await seedTestDatabase(database);
  return { ...database, close: () => database.close().then(() => adminQuery(baseUrl!, `DROP DATABASE ${name} WITH (FORCE)`)) };
}

async function fromTemplate(engine: Engine, template: { pglite: string; postgres?: string }): Promise<Database> {
  if (engine === 'pglite') {
    const database = await pgliteFromTemplate(template.pglite);
    await database.migrate();
    return database;
  }
  const name = `yiban_bench_db_${process.pid}_${counter++}`;
  await adminQuery(baseUrl!, `CREATE DATABASE ${name} TEMPLATE ${template.postgres!}`);
  const database = await openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl!, name), poolSize: 4 });
  await database.migrate();
  return { ...database, close: () => database.close().then(() => adminQuery(baseUrl!, `DROP DATABASE ${name} WITH (FORCE)`)) };
}

console.log(`test databases, ${ROUNDS} rounds each; load average at start ${load()}`);
const setup = startDbTemplates();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await setup.built;
const built = process.cpuUsage(cpu0);
console.log(
  `templates built once per run: CPU ${((built.user + built.system) / 1000).toFixed(0)} ms, wall ${(performance.now() - t0).toFixed(0)} ms`,
);
try {
  for (const engine of engines) {
    const before = summary(await measure(() => oldWay(engine)));
    const after = summary(
      await measure(() =>
        fromTemplate(engine, { pglite: setup.templates.pglite.seeded, postgres: setup.templates.postgres?.seeded ?? '' }),
      ),
    );
    console.log(`${engine}: seeded test database, migrated and seeded each time: ${before}`);
    console.log(`${engine}: seeded test database from the template:          ${after}`);
  }
} finally {
  await setup.remove();
}
console.log(`load average at end ${load()} (wall-clock figures are under this load)`);
