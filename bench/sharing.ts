/**
 * Data exchanges per second through the internal adapter: a consumer's request under a
 * law-based grant (grant check, adapter read, exchange row and ledger leaf in one
 * transaction), and the consent path's pending request. Wall rates and CPU time per
 * exchange (this process; PostgreSQL's own CPU is not counted), with the load average.
 *
 *   npx tsx bench/sharing.ts [--exchanges 2000] [--concurrency 8] [--engines pglite,postgres]
 *
 * PostgreSQL runs need DATABASE_URL (a fresh database is created and dropped).
 */
import { cpuUsage } from 'node:process';
import { Command } from 'commander';
import { createTestContext } from '../test/factories.ts';
import { seedDatasets } from '../src/modules/sharing/sharing.seed.ts';
import { loadLine } from './support/machine.ts';

const opts = new Command('bench-sharing')
  .option('--exchanges <n>', 'exchanges per scenario', (v) => Number(v), 2000)
  .option('--concurrency <n>', 'requests in flight', (v) => Number(v), 8)
  .option('--engines <list>', 'pglite,postgres', process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')
  .parse(process.argv)
  .opts<{ exchanges: number; concurrency: number; engines: string }>();

async function run(engine: 'pglite' | 'postgres') {
  const ctx = await createTestContext(engine);
  try {
    const sharing = ctx.services.dataSharing;
    await sharing.upsertDatasets(seedDatasets(ctx.departments));
    const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const residents: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await ctx.newResident({ name: `压测${i}` });
      await sharing.upsertRecords('health.birth_record', [{ residentId: r.residentId, data: { childName: `宝${i}`, certificateNo: `O${i}` } }]);
      await sharing.upsertRecords('civil.marriage_record', [{ residentId: r.residentId, data: { maritalStatus: '已婚', spouseName: `配偶${i}` } }]);
      const submitted = await ctx.services.applications.submit(r, { serviceCode: 'birth.household_registration', form: { childName: `宝${i}`, householdHead: '户主' } });
      residents.push(submitted.case.id);
    }
    const until = new Date(Date.now() + 86_400_000);
    const grant = (datasetCode: string, fields: string[], consentRequired: boolean) =>
      sharing.ensureGrant({ datasetCode, consumerOrgCode: ctx.departments.public_security!, fields, purpose: 'birth.household_registration', legalBasis: 'bench', consentRequired, validUntil: until });
    await grant('health.birth_record', ['childName', 'certificateNo'], false);
    await grant('civil.marriage_record', ['maritalStatus', 'spouseName'], true);

    const scenario = async (name: string, datasetCode: string, fields: string[], concurrency: number) => {
      let next = 0;
      const cpu0 = cpuUsage();
      const t0 = performance.now();
      const worker = async () => {
        for (let i = next++; i < opts.exchanges; i = next++) {
          await sharing.requestExchange(police, { requestKey: `bench-${name.replace(/[^A-Za-z0-9]+/g, '-')}-${i}`, datasetCode, fields, purpose: 'birth.household_registration', caseId: residents[i % residents.length]! });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const wall = performance.now() - t0;
      const cpu = cpuUsage(cpu0);
      const perSecond = (opts.exchanges / wall) * 1000;
      const cpuPerOp = (cpu.user + cpu.system) / 1000 / opts.exchanges;
      console.log(`${engine.padEnd(8)} ${name.padEnd(28)} c=${concurrency}  ${perSecond.toFixed(0).padStart(6)} /s  ${(wall / opts.exchanges).toFixed(2)} ms wall/op  ${cpuPerOp.toFixed(2)} ms CPU/op (node)`);
    };
    await scenario('completed (law-based grant)', 'health.birth_record', ['childName', 'certificateNo'], 1);
    await scenario('completed-concurrent', 'health.birth_record', ['childName', 'certificateNo'], opts.concurrency);
    await scenario('pending consent', 'civil.marriage_record', ['spouseName'], opts.concurrency);
    console.log(loadLine());
  } finally {
    await ctx.close();
  }
}

console.log(loadLine());
for (const engine of opts.engines.split(',').map((e) => e.trim()) as ('pglite' | 'postgres')[]) await run(engine);
