import { sql } from 'drizzle-orm';
import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** The counters of an aggregate row, by day (dashboard_counts) or by month (dashboard_months). */
const counterColumns = () => ({
  /** First submissions (a resubmission after 补正 is not a new case). */
  submitted: integer('submitted').notNull().default(0),
  /** … of which through the app (online). */
  submittedOnline: integer('submitted_online').notNull().default(0),
  /** Cases decided (approved, rejected or completed). */
  decided: integer('decided').notNull().default(0),
  /** … decided on or before their due date (按时办结). */
  onTime: integer('on_time').notNull().default(0),
  /** … never returned for correction (一次办结). */
  firstTime: integer('first_time').notNull().default(0),
  /** … decided by a rule with no person (即办 / 秒批). */
  instant: integer('instant').notNull().default(0),
  /** … applied for online and never brought to a counter (全程网办). */
  fullyOnline: integer('fully_online').notNull().default(0),
  /** Trips to a counter (window or kiosk) of the decided cases (到现场次数). */
  counterTrips: integer('counter_trips').notNull().default(0),
  /** Working days of the decided cases, in thousandths (integers add exactly). */
  workingMilli: bigint('working_milli', { mode: 'number' }).notNull().default(0),
  certificates: integer('certificates').notNull().default(0),
  /** 数据共享: exchanges completed for the org as the consumer (data used instead of a paper proof). */
  exchangesConsumed: integer('exchanges_consumed').notNull().default(0),
  /** … and as the provider. */
  exchangesProvided: integer('exchanges_provided').notNull().default(0),
  // 好差评, on the rating's day (China date): later steps (a callback, a reply, an appeal that sets
  // the rating aside) change the figures of the rating's day, as the public figures count them.
  /** Ratings that stand (one set aside on appeal counts no more). */
  ratings: integer('ratings').notNull().default(0),
  /** … good (4, 5) and bad (1, 2). */
  ratingsGood: integer('ratings_good').notNull().default(0),
  ratingsBad: integer('ratings_bad').notNull().default(0),
  /** Real-name bad ratings (each needs a callback), and those called back. */
  realNameBad: integer('real_name_bad').notNull().default(0),
  calledBack: integer('called_back').notNull().default(0),
  /** Rectification tasks opened for the bad ratings, replied to, and replied to by the deadline. */
  rectifications: integer('rectifications').notNull().default(0),
  rectified: integer('rectified').notNull().default(0),
  rectifiedOnTime: integer('rectified_on_time').notNull().default(0),
});

/**
 * The supervision dashboards' aggregate, maintained incrementally from the outbox: one row per
 * org × service × day (China date) with a counter per figure. An event adds to the row of its
 * org and of every ancestor (province → city → county → township → village), both for its
 * service and for all services (`service_code` ''), so a view of any node is one indexed range
 * read, never a scan of the cases.
 */
export const dashboardCounts = pgTable(
  'dashboard_counts',
  {
    orgCode: text('org_code').notNull(),
    /** '' for the row of all services. */
    serviceCode: text('service_code').notNull(),
    day: date('day').notNull(),
    ...counterColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.orgCode, t.serviceCode, t.day] }),
    // An org's per-service rows over a period. Partial, so that a read of the all-services row
    // ('') can only take the primary key: with a generic plan (a prepared statement) the planner
    // took this index for the trend and read every service's row of the period to keep 1 in 57.
    index('dashboard_counts_services_idx')
      .on(t.orgCode, t.day)
      .where(sql`${t.serviceCode} <> ''`),
  ],
);

/**
 * The same counters per calendar month (`month`: its first day), written with the daily rows: a
 * period reads its whole months here and only its partial months' days in dashboard_counts, so a
 * year's view of an org's services is about 12 rows per service instead of 365.
 */
export const dashboardMonths = pgTable(
  'dashboard_months',
  {
    orgCode: text('org_code').notNull(),
    serviceCode: text('service_code').notNull(),
    month: date('month').notNull(),
    ...counterColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.orgCode, t.serviceCode, t.month] }),
    index('dashboard_months_services_idx')
      .on(t.orgCode, t.month)
      .where(sql`${t.serviceCode} <> ''`),
  ],
);

/**
 * The same counters per calendar year (`year`: its 1 January), written with the days and months:
 * a period of up to a year reads its whole years here and only the months and days at its edges
 * (period.ts `periodTerms`), so a rolling year's view reads about as many rows as a 30-day one.
 */
export const dashboardYears = pgTable(
  'dashboard_years',
  {
    orgCode: text('org_code').notNull(),
    serviceCode: text('service_code').notNull(),
    year: date('year').notNull(),
    ...counterColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.orgCode, t.serviceCode, t.year] }),
    index('dashboard_years_services_idx')
      .on(t.orgCode, t.year)
      .where(sql`${t.serviceCode} <> ''`),
  ],
);

/**
 * The events already counted: a second delivery of one (at least once) adds nothing. A mark is
 * pruned after a retention once the outbox worker has recorded the handler as done for its event
 * (applied-prune.ts): the worker never hands such an event to the handler again.
 */
export const dashboardApplied = pgTable(
  'dashboard_applied',
  {
    eventId: bigint('event_id', { mode: 'number' }).primaryKey(),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The prune reads the oldest marks first, page by page (applied_at, event_id).
  (t) => [index('dashboard_applied_at_idx').on(t.appliedAt, t.eventId)],
);
