/**
 * Month-end clearing (清算, issue 14) on PostgreSQL: `--count` settlements (default 1,000,000) of
 * one month between the 14 cities of Guangxi (places of treatment, `--hospitals` institutions)
 * and `--regions` pooling regions (places of insurance), 2 % cancelled, with the 3201
 * reconciliations of nearly every hospital day (about 1 % missing, 0.5 % mismatched), generated
 * with `insert … select … from generate_series` (foreign-key triggers off during the load only:
 * the rows are consistent by construction). Then the clearing as `yiban insurance clear` runs it
 * (`insuranceAdmin.clearMonth`: one set-based statement, the rows stored, a sealed clearing
 * statement per pair), timed; its pair totals checked against a plain count and sum; and a naive
 * baseline in the same run — each settlement read by its id and summed in Node, each hospital
 * day's reconciliation read on its own — on a `--sample`, extrapolated to the whole month.
 * Floor: < 30 s for 1 M settlements. Last, the CLI itself on the same database (`--cli`).
 *
 *   npx tsx bench/insurance-clearing.ts [--count 1000000] [--hospitals 300] [--regions 10] [--sample 20000] [--no-cli] [--server-url …]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openPlatform } from '../src/platform.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../src/modules/certificates/index.ts';
import { ensureDemoDepartments } from '../src/modules/orgs/index.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { monthRange } from '../src/modules/insurance/clearing.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';

const MONTH = '2026-11';
const FLOOR_MS = 30_000;
const CITIES = Array.from({ length: 14 }, (_, i) => `45${String(i + 1).padStart(2, '0')}00`);

const program = new Command()
  .option('--count <n>', 'settlements', (v) => Number(v), 1_000_000)
  .option('--hospitals <n>', 'institutions', (v) => Number(v), 300)
  .option('--regions <n>', 'pooling regions of insurance', (v) => Number(v), 10)
  .option('--sample <n>', 'settlements the naive baseline reads', (v) => Number(v), 20_000)
  .option('--no-cli', 'skip the run of `yiban insurance clear`')
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .parse();
const opts = program.opts<{ count: number; hospitals: number; regions: number; sample: number; cli: boolean; serverUrl: string }>();

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  console.log(`insurance clearing: ${opts.count.toLocaleString('en')} settlements, ${opts.hospitals} hospitals, ${opts.regions} regions`);
  console.log(loadLine());
  const bench = await createBenchDatabase('postgres', 'clearing', opts.serverUrl);
  const masterKey = randomBytes(32);
  const config = benchConfig(bench, masterKey);
  const platform = await openPlatform(config);
  const { db } = platform.database;
  try {
    // Orgs (the medical security department runs every region), certificate types, policies and regions.
    const departments = await ensureDemoDepartments(db);
    const office = departments.find((d) => d.departmentKind === 'medical_security')!.code;
    await upsertCertificateTypes(db, SEED_CERTIFICATE_TYPES);
    const regions = CITIES.slice(0, opts.regions).map((region, i) => ({
      region,
      nameZh: `测试统筹区${'甲乙丙丁戊己庚辛壬癸'[i] ?? i}`,
      officeOrgCode: office,
    }));
    await seedInsurance(db, regions);

    const { from } = monthRange(MONTH);
    const loadStarted = performance.now();
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`
        insert into insurance_institutions (code, name_zh, name_en, level, region, key_id, public_key, status, updated_at)
        select 'H' || (4501 + (g % 14))::text || lpad(g::text, 7, '0'), '测试医院' || g, 'Hospital ' || g, 1 + g % 3,
               (4501 + (g % 14))::text || '02', 'bench-key-' || g, '\\x04'::bytea, 'active', now()
          from generate_series(0, ${opts.hospitals - 1}) g`);
      await tx.execute(sql`
        insert into insurance_persons (psn_no, subject_key, name, id_masked, gender, birth_date, scheme, region, status, updated_at)
        select 'P' || lpad(g::text, 17, '0'), 'bench-subject-' || g, '测试参保人', '450102********0000', '1', '1970-01-01', 'resident',
               (4501 + (g % ${opts.regions}))::text || '00', 'active', now()
          from generate_series(0, 99990) g`);
      // Settlement i: hospital i mod H, person i mod 99,991 (a prime: pairs do not follow the hospital) (so its region is person mod R), day (i div H) mod 30.
      await tx.execute(sql`
        insert into insurance_encounters (mdtrt_id, institution_code, psn_no, med_type, begin_date, emergency, "where", filed, status, created_at)
        select 'M' || g, 'H' || (4501 + ((g % ${opts.hospitals}) % 14))::text || lpad((g % ${opts.hospitals})::text, 7, '0'),
               'P' || lpad((g % 99991)::text, 17, '0'), '11', ${from}::date + ((g / ${opts.hospitals}) % 30), false, 'province', true, 'settled', now()
          from generate_series(0, ${opts.count - 1}) g`);
      await tx.execute(sql`
        insert into insurance_settlements (setl_id, mdtrt_id, psn_no, institution_code, treatment_region, insurance_region, year, status,
               policy_version, total_fen, inscp_fen, deductible_fen, hifp_pay_fen, acct_pay_fen, cash_pay_fen, counts_stay, result,
               msgid, settled_at, day, cancelled_at, ledger_entry_id)
        select 'S' || g, 'M' || g, 'P' || lpad((g % 99991)::text, 17, '0'),
               'H' || (4501 + ((g % ${opts.hospitals}) % 14))::text || lpad((g % ${opts.hospitals})::text, 7, '0'),
               (4501 + ((g % ${opts.hospitals}) % 14))::text || '02', (4501 + ((g % 99991) % ${opts.regions}))::text || '00', 2026,
               case when g % 50 = 7 then 'cancelled' else 'settled' end, 'bench', t, t, 0, (t * 6) / 10,
               case when g % 3 = 0 then t / 10 else 0 end, t - (t * 6) / 10 - case when g % 3 = 0 then t / 10 else 0 end, false,
               '{"lines":[],"why":[]}'::jsonb, 'B' || g, (${from}::date + ((g / ${opts.hospitals}) % 30))::timestamptz, ${from}::date + ((g / ${opts.hospitals}) % 30),
               case when g % 50 = 7 then now() end, 0
          from (select g, 5000 + (g::bigint * 7919) % 500000 as t from generate_series(0, ${opts.count - 1}) g) s`);
    });
    const loaded = performance.now();
    // The hospitals' 3201: every hospital day, except about 1 % (missing) and 0.5 % that count one more (mismatched).
    await db.execute(sql`
      insert into insurance_reconciliations (institution_code, day, insurance_region, theirs, ours, matched, msgid, at)
      select institution_code, day, insurance_region, theirs, ours, theirs = ours, 'R' || row_number() over (), now()
        from (select institution_code, day, insurance_region,
                     jsonb_build_object('count', count(*) + case when hashtext(institution_code || day || insurance_region) % 200 = 1 then 1 else 0 end,
                       'totalFen', sum(total_fen), 'fundFen', sum(hifp_pay_fen), 'accountFen', sum(acct_pay_fen), 'cashFen', sum(cash_pay_fen)) as theirs,
                     jsonb_build_object('count', count(*), 'totalFen', sum(total_fen), 'fundFen', sum(hifp_pay_fen),
                       'accountFen', sum(acct_pay_fen), 'cashFen', sum(cash_pay_fen)) as ours
                from insurance_settlements where status = 'settled'
               group by institution_code, day, insurance_region
              having hashtext(institution_code || day || insurance_region || 'x') % 100 <> 0) d`);
    await db.execute(sql`analyze`);
    console.log(`loaded in ${seconds(loaded - loadStarted)} (+ reconciliations, analyze: ${seconds(performance.now() - loaded)})`);

    // The clearing, as the CLI runs it.
    console.log(loadLine());
    const started = performance.now();
    const result = await platform.services.insuranceAdmin.clearMonth(MONTH);
    const clearMs = performance.now() - started;
    const counted = result.pairs.reduce((n, p) => n + p.totals.count, 0);
    const total = result.pairs.reduce((n, p) => n + p.totals.totalFen, 0);
    const discrepancies = result.pairs.reduce((n, p) => n + p.discrepancies.length, 0);
    const sealed = result.pairs.filter((p) => p.certificateId).length;
    const [check] = (
      await db.execute<{ n: string; total: string }>(
        sql`select count(*)::text as n, sum(total_fen)::text as total from insurance_settlements where status = 'settled'`,
      )
    ).rows;
    const correct = counted === Number(check!.n) && total === Number(check!.total);
    console.log(
      `clearing: ${seconds(clearMs)} (sums ${seconds(result.millis.sum)}): ${result.pairs.length} pairs, ${counted.toLocaleString('en')} settled ` +
        `(plain count ${Number(check!.n).toLocaleString('en')}, totals ${correct ? 'equal' : 'DIFFER'}), ${discrepancies} discrepant hospital days, ${sealed} statements sealed`,
    );

    // Naive baseline: row by row on a sample, extrapolated.
    const sampleIds = (
      await db.execute<{ setl_id: string }>(sql`select setl_id from insurance_settlements where day >= ${from}::date limit ${opts.sample}`)
    ).rows.map((r) => r.setl_id);
    const naiveStarted = performance.now();
    const sums = new Map<string, { count: number; total: number; fund: number; account: number; cash: number }>();
    const days = new Map<string, boolean>();
    for (const id of sampleIds) {
      const [s] = (await db.execute<Record<string, string>>(sql`select * from insurance_settlements where setl_id = ${id}`)).rows;
      if (!s || s.status !== 'settled') continue;
      const pair = `${s.treatment_region!.slice(0, 4)}00/${s.insurance_region}`;
      const acc = sums.get(pair) ?? { count: 0, total: 0, fund: 0, account: 0, cash: 0 };
      acc.count++;
      acc.total += Number(s.total_fen);
      acc.fund += Number(s.hifp_pay_fen);
      acc.account += Number(s.acct_pay_fen);
      acc.cash += Number(s.cash_pay_fen);
      sums.set(pair, acc);
      const day = `${s.institution_code}/${String(s.day)}/${s.insurance_region}`;
      if (!days.has(day)) {
        const [r] = (
          await db.execute<{ matched: boolean }>(
            sql`select matched from insurance_reconciliations where institution_code = ${s.institution_code} and day = ${s.day} and insurance_region = ${s.insurance_region}`,
          )
        ).rows;
        days.set(day, r?.matched ?? false);
      }
    }
    const naiveMs = performance.now() - naiveStarted;
    const naiveMonthMs = (naiveMs / sampleIds.length) * opts.count;
    console.log(
      `naive row by row: ${sampleIds.length.toLocaleString('en')} settlements in ${seconds(naiveMs)} → ${seconds(naiveMonthMs)} for ${opts.count.toLocaleString('en')} (extrapolated)`,
    );
    const pass = correct && clearMs < FLOOR_MS;
    console.log(
      `verdict: ${pass ? 'PASS' : 'FAIL'} — ${seconds(clearMs)} against the floor ${seconds(FLOOR_MS)} (set for 1,000,000); ` +
        `${(naiveMonthMs / clearMs).toFixed(0)}× the naive baseline`,
    );

    if (opts.cli) {
      const env = {
        ...process.env,
        DATABASE_URL: bench.databaseUrl!,
        YIBAN_DATA_DIR: bench.dataDir,
        YIBAN_MASTER_KEY: masterKey.toString('base64'),
      };
      const cliStarted = performance.now();
      const out = await new Promise<string>((resolve, reject) =>
        execFile('node', ['bin/yiban.js', 'insurance', 'clear', '--month', MONTH], { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      console.log(
        `yiban insurance clear --month ${MONTH} (a second run, statements kept): ${seconds(performance.now() - cliStarted)} wall, process start included`,
      );
      console.log(`  ${out.trim().split('\n').at(-1)}`);
    }
    console.log(loadLine());
    if (!pass) process.exitCode = 1;
  } finally {
    await platform.close();
    await bench.drop();
  }
}

await main();
