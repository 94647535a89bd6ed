import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/index.ts';
import { drainRatingCounts } from './rating-rollup.ts';

const COUNTY = '130123';
const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('the dashboard’s 好差评 figures per period on %s', (engine) => {
  let ctx: TestContext;
  // Thursday 30 April 2026, 10:00 in China.
  let now = new Date('2026-04-30T02:00:00Z');
  let reviewer: Principal;
  let countyAdmin: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
    reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    countyAdmin = await ctx.newStaff('county_admin', COUNTY);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  async function ratedCase(level: number) {
    const resident = await ctx.newResident();
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    return ctx.services.ratings.rateCase(resident, c.id, { level });
  }

  /** The view's rating figures once the rating steps so far are rolled up (as serve does every second). */
  const ratingsOf = async (from: string, to: string) => {
    await drainRatingCounts(ctx.database.db);
    return (await ctx.services.dashboards.view(countyAdmin, COUNTY, { from, to })).ratings!;
  };

  /** Counted straight from the ratings tables, independently of the aggregate: the ratings given from `from` to `to` (China dates) that stand. */
  async function recount(from: string, to: string) {
    const { rows } = await ctx.database.db.execute<Record<string, number>>(sql`
      with r as (select * from ratings r where ((r.rated_at at time zone 'UTC') + interval '8 hours')::date between ${from}::date and ${to}::date
                   and not exists (select 1 from rating_appeals a where a.rating_id = r.id and a.decision = 'overturned'))
      select (select count(*) from r)::int as ratings, (select count(*) from r where level >= 4)::int as good,
        (select count(*) from r where level <= 2)::int as bad,
        (select count(*) from r where level <= 2 and account_id is not null)::int as real_name_bad,
        (select count(*) from r where level <= 2 and account_id is not null
           and exists (select 1 from rating_callbacks c where c.rating_id = r.id))::int as called_back,
        (select count(*) from rectifications t join r on r.id = t.rating_id where t.replied_at is not null)::int as rectified`);
    const c = rows[0]!;
    return {
      ratings: Number(c['ratings']),
      good: Number(c['good']),
      bad: Number(c['bad']),
      realNameBad: Number(c['real_name_bad']),
      calledBack: Number(c['called_back']),
      rectified: Number(c['rectified']),
    };
  }

  it('follows the selected period: each step counts on its rating’s day, a rating set aside counts no more, months add up to the year', async () => {
    now = new Date('2026-04-30T02:00:00Z');
    await ratedCase(5);
    await ratedCase(4);
    const aprilBad = await ratedCase(1);
    const april = ['2026-04-01', '2026-04-30'] as const;
    const may = ['2026-05-01', '2026-05-31'] as const;
    expect(await ratingsOf(...april)).toMatchObject({
      ratings: 3,
      good: 2,
      goodRate: 0.6667,
      bad: 1,
      realNameBad: 1,
      calledBack: 0,
      callbackRate: 0,
      rectified: 0,
      rectificationsOpen: 1,
    });

    // In May: a new bad rating, and the April one is called back (twice: once counted) and rectified.
    now = new Date('2026-05-06T02:00:00Z');
    const mayBad = await ratedCase(2);
    await ratedCase(3);
    await ctx.services.ratings.recordCallback(reviewer, aprilBad.id, { outcome: 'not_reached' });
    await ctx.services.ratings.recordCallback(reviewer, aprilBad.id, { outcome: 'reached' });
    await ctx.services.ratings.reply(reviewer, aprilBad.rectification!.id, '已补充材料清单');
    expect(await ratingsOf(...april)).toMatchObject({
      ratings: 3,
      bad: 1,
      calledBack: 1,
      callbackRate: 1,
      rectified: 1,
      rectificationRate: 1,
      rectificationsOpen: 0,
    });
    expect(await ratingsOf(...may)).toMatchObject({
      ratings: 2,
      good: 0,
      goodRate: 0,
      bad: 1,
      realNameBad: 1,
      calledBack: 0,
      rectified: 0,
    });
    // A period with no rating: nothing, and no rate.
    expect(await ratingsOf('2026-03-01', '2026-03-31')).toMatchObject({ ratings: 0, goodRate: null, callbackRate: null });

    // The May bad rating is called back, then set aside on appeal: it and its callback count no more.
    await ctx.services.ratings.recordCallback(reviewer, mayBad.id, { outcome: 'reached' });
    expect(await ratingsOf(...may)).toMatchObject({ calledBack: 1 });
    const appealed = await ctx.services.ratings.appeal(reviewer, mayBad.id, '与办理无关');
    const supervisor = await ctx.newStaff('supervisor', COUNTY);
    await ctx.services.ratings.decideAppeal(supervisor, appealed.appeal!.id, { decision: 'overturned' });
    // A callback after it was set aside adds nothing.
    await ctx.services.ratings.recordCallback(reviewer, mayBad.id, { outcome: 'reached' });
    const mayAfter = await ratingsOf(...may);
    expect(mayAfter).toMatchObject({ ratings: 1, bad: 0, realNameBad: 0, calledBack: 0, rectificationsOpen: 0, callbackRate: null });

    // The year (its year rows) is the sum of its months and the recount from the ratings tables.
    const year = await ratingsOf('2026-01-01', '2026-12-31');
    const aprilAfter = await ratingsOf(...april);
    for (const key of ['ratings', 'good', 'bad', 'realNameBad', 'calledBack', 'rectified', 'rectifiedOnTime'] as const)
      expect(year[key]).toBe(aprilAfter[key] + mayAfter[key]);
    for (const [from, to] of [
      april,
      may,
      ['2026-01-01', '2026-12-31'],
      ['2025-05-07', '2026-05-06'],
      ['2026-04-30', '2026-05-06'],
    ] as const)
      expect(await ratingsOf(from, to)).toMatchObject(await recount(from, to));
    // The village's child row and the service row carry the same counts (drill-down reads the same aggregate).
    const village = await ctx.services.dashboards.view(await ctx.newStaff('village_reviewer', VILLAGE), VILLAGE, {
      from: '2026-01-01',
      to: '2026-12-31',
    });
    expect(village.ratings).toEqual(year);
  });

  it('the migration backfills the ratings given before it exactly as the handler counted them, and the years from the months', async () => {
    const db = ctx.database.db;
    const columns = 'ratings, ratings_good, ratings_bad, real_name_bad, called_back, rectifications, rectified, rectified_on_time';
    const snapshot = async () => ({
      days: (
        await db.execute(
          sql.raw(
            `select org_code, service_code, day::text, ${columns} from dashboard_counts where ratings <> 0 or called_back <> 0 order by 1, 2, 3`,
          ),
        )
      ).rows,
      months: (
        await db.execute(
          sql.raw(`select org_code, service_code, month::text, ${columns} from dashboard_months where ratings <> 0 order by 1, 2, 3`),
        )
      ).rows,
      years: (await db.execute(sql.raw(`select * from dashboard_years order by org_code, service_code, year`))).rows,
    });
    const counted = await snapshot();
    expect(counted.days.length).toBeGreaterThan(0);
    // As before the migration: no rating counts, no year rows; then its backfill statements.
    await db.execute(
      sql.raw(
        `update dashboard_counts set ${columns
          .split(', ')
          .map((c) => `${c} = 0`)
          .join(', ')}`,
      ),
    );
    await db.execute(
      sql.raw(
        `update dashboard_months set ${columns
          .split(', ')
          .map((c) => `${c} = 0`)
          .join(', ')}`,
      ),
    );
    await db.execute(sql`delete from dashboard_years`);
    const migration = readFileSync(new URL('../../../drizzle/0032_dashboard_years.sql', import.meta.url), 'utf8');
    const statements = migration.split('--> statement-breakpoint').filter((st) => /^\s*(--.*\n\s*)*(WITH|INSERT)/.test(st));
    expect(statements).toHaveLength(3);
    for (const statement of statements) await db.execute(sql.raw(statement));
    expect(await snapshot()).toEqual(counted);
  });

  it('the move from outbox events to the queue counts each step once: pending events move, counted ones stay, and all are completed', async () => {
    const db = ctx.database.db;
    await drainRatingCounts(db);
    const villagePath = (await ctx.services.orgs.byCode(VILLAGE))!.path;
    const payload = (ratingId: string, add: Record<string, number>) =>
      JSON.stringify({ ratingId, orgPath: villagePath, serviceCode: 'cert.residence', day: '2026-03-03', add });
    const event = async (ratingId: string, add: Record<string, number>, processed: boolean) => {
      const { rows } = await db.execute<{ id: string | number }>(
        sql`insert into outbox (topic, payload, processed_at) values ('rating.counted', ${payload(ratingId, add)}::jsonb, ${processed ? sql`now()` : null})
            returning id`,
      );
      return Number(rows[0]!.id);
    };
    const pending = await event('00000000-0000-4000-8000-000000000001', { ratings: 1, good: 1 }, false);
    const markedByDashboards = await event('00000000-0000-4000-8000-000000000002', { ratings: 1, good: 1 }, false);
    await db.execute(sql`insert into dashboard_applied (event_id) values (${markedByDashboards})`);
    await event('00000000-0000-4000-8000-000000000003', { ratings: 1, good: 1 }, true);
    const march = () => ratingsOf('2026-03-01', '2026-03-31');
    const before = await march();

    const migration = readFileSync(new URL('../../../drizzle/0036_rating_count_deltas.sql', import.meta.url), 'utf8');
    const statements = migration.split('--> statement-breakpoint').filter((st) => /^\s*(--.*\n\s*)*(INSERT|UPDATE)/.test(st));
    expect(statements).toHaveLength(2);
    for (const statement of statements) await db.execute(sql.raw(statement));

    const moved = await db.execute<{ rating_id: string }>(sql`select rating_id from rating_count_deltas`);
    expect(moved.rows.map((r) => r.rating_id)).toEqual(['00000000-0000-4000-8000-000000000001']);
    const open = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'rating.counted' and processed_at is null and id in (${pending}, ${markedByDashboards})`,
    );
    expect(open.rows[0]!.n).toBe(0);
    const after = await march();
    expect(after.ratings).toBe(before.ratings + 1);
    expect(after.good).toBe(before.good + 1);
  });
});
