/**
 * Data exchanges per second, in one run, through the internal adapter (the dataset kept in the
 * platform) and through the external signed adapter against a real external department server
 * process (`yiban external-dept serve`, spawned here): a consumer's request under a law-based
 * grant (grant check, adapter read — or a signed HTTP query, its signed answer verified — then
 * exchange row and ledger leaf in one transaction), and the consent path's pending request.
 * Wall rates and CPU time per exchange: this process (PGlite runs inside it; PostgreSQL's own
 * CPU is not counted) and, for the external adapter, the department process too.
 *
 *   npx tsx bench/sharing.ts [--exchanges 2000] [--concurrency 8] [--engines pglite,postgres]
 *
 * PostgreSQL runs need DATABASE_URL (a fresh database is created and dropped).
 */
import { readFileSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { Command } from 'commander';
import { createTestContext } from '../test/factories.ts';
import { seedDatasets } from '../src/modules/sharing/sharing.seed.ts';
import { newSigningKey, startDepartment, type RunningDepartment } from '../test/external-department.ts';
import { loadLine } from './support/machine.ts';
import { hanDigits } from '../src/demo/han-digits.ts';

/** User + system CPU of another process so far, in ms (Linux /proc). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

const opts = new Command('bench-sharing')
  .option('--exchanges <n>', 'exchanges per scenario', (v) => Number(v), 2000)
  .option('--concurrency <n>', 'requests in flight', (v) => Number(v), 8)
  .option('--engines <list>', 'pglite,postgres', process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')
  .parse(process.argv)
  .opts<{ exchanges: number; concurrency: number; engines: string }>();

async function run(engine: 'pglite' | 'postgres') {
  const platformKey = newSigningKey();
  const ctx = await createTestContext(engine, { externalSharing: { key: platformKey } });
  let department: RunningDepartment | undefined;
  try {
    const sharing = ctx.services.dataSharing;
    await sharing.upsertDatasets(seedDatasets(ctx.departments));
    const police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const residents: string[] = [];
    const externalRecords: { residentId: string; data: Record<string, string> }[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await ctx.newResident({ name: `压测${hanDigits(i)}` });
      externalRecords.push({ residentId: r.residentId, data: { childName: `宝${i}`, certificateNo: `O${i}` } });
      await sharing.upsertRecords('health.birth_record', [
        { residentId: r.residentId, data: { childName: `宝${i}`, certificateNo: `O${i}` } },
      ]);
      await sharing.upsertRecords('civil.marriage_record', [
        { residentId: r.residentId, data: { maritalStatus: '已婚', spouseName: `配偶${i}` } },
      ]);
      const submitted = await ctx.services.applications.submit(r, {
        serviceCode: 'birth.household_registration',
        form: { childName: `宝${i}`, householdHead: '户主' },
      });
      residents.push(submitted.case.id);
    }
    const until = new Date(Date.now() + 86_400_000);
    const grant = (datasetCode: string, fields: string[], consentRequired: boolean) =>
      sharing.ensureGrant({
        datasetCode,
        consumerOrgCode: ctx.departments.public_security!,
        fields,
        purpose: 'birth.household_registration',
        legalBasis: 'bench',
        consentRequired,
        validUntil: until,
      });
    await grant('health.birth_record', ['childName', 'certificateNo'], false);
    await grant('civil.marriage_record', ['maritalStatus', 'spouseName'], true);
    department = await startDepartment({
      name: '压测医院',
      datasets: [{ code: 'bench.external_birth_record', records: externalRecords }],
      trust: [platformKey.publicKeyPem],
    });
    const internalBirth = seedDatasets(ctx.departments).find((d) => d.code === 'health.birth_record')!;
    await sharing.upsertDatasets([{ ...internalBirth, code: 'bench.external_birth_record', provider: department.provider() }]);
    await grant('bench.external_birth_record', ['childName', 'certificateNo'], false);

    const scenario = async (name: string, datasetCode: string, fields: string[], concurrency: number) => {
      let next = 0;
      const deptCpu0 = datasetCode.startsWith('bench.external') && department ? processCpuMs(department.process.pid!) : null;
      const cpu0 = cpuUsage();
      const t0 = performance.now();
      const worker = async () => {
        for (let i = next++; i < opts.exchanges; i = next++) {
          await sharing.requestExchange(police, {
            requestKey: `bench-${name.replace(/[^A-Za-z0-9]+/g, '-')}-${i}`,
            datasetCode,
            fields,
            purpose: 'birth.household_registration',
            caseId: residents[i % residents.length]!,
          });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const wall = performance.now() - t0;
      const cpu = cpuUsage(cpu0);
      const perSecond = (opts.exchanges / wall) * 1000;
      const cpuPerOp = (cpu.user + cpu.system) / 1000 / opts.exchanges;
      const dept =
        deptCpu0 !== null && department
          ? `  + ${((processCpuMs(department.process.pid!) - deptCpu0) / opts.exchanges).toFixed(2)} ms CPU/op (department process)`
          : '';
      console.log(
        `${engine.padEnd(8)} ${name.padEnd(30)} c=${concurrency}  ${perSecond.toFixed(0).padStart(6)} /s  ${(wall / opts.exchanges).toFixed(2)} ms wall/op  ${cpuPerOp.toFixed(2)} ms CPU/op (node)${dept}`,
      );
    };
    await scenario('completed (law-based grant)', 'health.birth_record', ['childName', 'certificateNo'], 1);
    await scenario('completed-concurrent', 'health.birth_record', ['childName', 'certificateNo'], opts.concurrency);
    await scenario('pending consent', 'civil.marriage_record', ['spouseName'], opts.concurrency);
    await scenario('external signed (law-based)', 'bench.external_birth_record', ['childName', 'certificateNo'], 1);
    await scenario('external signed-concurrent', 'bench.external_birth_record', ['childName', 'certificateNo'], opts.concurrency);
    const stats = await department.stats();
    console.log(
      `department: ${stats.received} queries received, ${stats.distinctRequests} distinct, refused ${JSON.stringify(stats.refused)}`,
    );
    console.log(loadLine());
  } finally {
    await department?.stop();
    await ctx.close();
  }
}

console.log(loadLine());
for (const engine of opts.engines.split(',').map((e) => e.trim()) as ('pglite' | 'postgres')[]) await run(engine);
