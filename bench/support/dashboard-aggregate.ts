import type pg from 'pg';

const COLS = 'submitted, submitted_online, decided, on_time, first_time, instant, fully_online, counter_trips, working_milli, certificates';

/**
 * Fills the dashboards' aggregate (`dashboard_counts`) in bulk with a year of `cases` cases' worth
 * of counts over the loaded villages (power-law skew, as seed-bench-data.ts spreads cases), rolled
 * up to every ancestor level exactly as the outbox handler writes it. The cases themselves are not
 * created: a view never reads them. Returns the number of villages.
 */
export async function fillDashboardAggregate(
  admin: pg.Client,
  options: { cases: number; batch: number; serviceCodes: readonly string[] },
): Promise<number> {
  await admin.query('SET synchronous_commit = off');
  await admin.query('SELECT setseed(0.42)');
  await admin.query(`CREATE TEMP TABLE bench_villages AS
    SELECT (row_number() OVER (ORDER BY md5(code)))::int AS n, path FROM orgs WHERE level = 'village'`);
  const villages = Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM bench_villages')).rows[0]!.n);
  await admin.query('ALTER TABLE bench_villages ADD PRIMARY KEY (n)');
  const codes = [...options.serviceCodes];
  await admin.query(`CREATE UNLOGGED TABLE bench_leaf (path text, svc text, day date, submitted int, submitted_online int, decided int,
    on_time int, first_time int, instant int, fully_online int, counter_trips int, working_milli bigint, certificates int)`);
  for (let done = 0; done < options.cases; done += options.batch) {
    const n = Math.min(options.batch, options.cases - done);
    // One case per row: a village (skewed: power(random, 2) favours the first of a shuffled list), a service, a day of the last year.
    await admin.query(
      `INSERT INTO bench_leaf
       SELECT v.path, c.svc, c.day, count(*), count(*) FILTER (WHERE r1 < 0.6),
         count(*) FILTER (WHERE r2 < 0.85), count(*) FILTER (WHERE r2 < 0.85 AND r3 < 0.9), count(*) FILTER (WHERE r2 < 0.85 AND r4 < 0.8),
         count(*) FILTER (WHERE r2 < 0.85 AND r1 > 0.95), count(*) FILTER (WHERE r2 < 0.85 AND r1 < 0.5),
         count(*) FILTER (WHERE r2 < 0.85 AND r1 >= 0.6), coalesce(sum((r3 * 5000)::int) FILTER (WHERE r2 < 0.85), 0),
         count(*) FILTER (WHERE r2 < 0.85 AND r4 < 0.7)
       FROM (SELECT 1 + floor(power(random(), 2) * $1)::int AS n, ($2::text[])[1 + floor(random() * $3)::int] AS svc,
               current_date - floor(random() * 365)::int AS day, random() AS r1, random() AS r2, random() AS r3, random() AS r4
             FROM generate_series(1, $4)) c
       JOIN bench_villages v USING (n)
       GROUP BY v.path, c.svc, c.day`,
      [villages, codes, codes.length, n],
    );
  }
  const sums = COLS.split(', ')
    .map((c) => `sum(${c})`)
    .join(', ');
  for (let level = 1; level <= 5; level++)
    for (const service of ['svc', "''"])
      await admin.query(`INSERT INTO dashboard_counts (org_code, service_code, day, ${COLS})
        SELECT split_part(path, '.', ${level}), ${service}, day, ${sums} FROM bench_leaf
        WHERE split_part(path, '.', ${level}) <> '' GROUP BY 1, 2, 3`);
  // The months' rows, as the handler writes them beside the days (a database before migration 0026 has none).
  const months = await admin.query<{ t: string | null }>(`SELECT to_regclass('dashboard_months')::text AS t`);
  if (months.rows[0]?.t)
    await admin.query(`INSERT INTO dashboard_months (org_code, service_code, month, ${COLS})
      SELECT org_code, service_code, date_trunc('month', day)::date, ${sums} FROM dashboard_counts GROUP BY 1, 2, 3`);
  // The years' rows from the months (a database before migration 0031 has none).
  const years = await admin.query<{ t: string | null }>(`SELECT to_regclass('dashboard_years')::text AS t`);
  if (years.rows[0]?.t)
    await admin.query(`INSERT INTO dashboard_years (org_code, service_code, year, ${COLS})
      SELECT org_code, service_code, date_trunc('year', month)::date, ${sums} FROM dashboard_months GROUP BY 1, 2, 3`);
  await admin.query('DROP TABLE bench_leaf');
  await admin.query('DROP TABLE bench_villages');
  await admin.query('ANALYZE dashboard_counts');
  if (months.rows[0]?.t) await admin.query('ANALYZE dashboard_months');
  if (years.rows[0]?.t) await admin.query('ANALYZE dashboard_years');
  return villages;
}

/** The org of a level with the most cases in the aggregate (the heaviest view of that level). */
export async function busiestOrg(admin: pg.Client, level: string): Promise<string> {
  const { rows } = await admin.query<{ org_code: string }>(
    `SELECT c.org_code FROM dashboard_counts c JOIN orgs o ON o.code = c.org_code
     WHERE o.level = $1 AND c.service_code = '' GROUP BY c.org_code ORDER BY sum(c.submitted) DESC LIMIT 1`,
    [level],
  );
  return rows[0]!.org_code;
}
