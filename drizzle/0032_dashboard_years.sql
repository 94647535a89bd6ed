CREATE TABLE "dashboard_years" (
	"org_code" text NOT NULL,
	"service_code" text NOT NULL,
	"year" date NOT NULL,
	"submitted" integer DEFAULT 0 NOT NULL,
	"submitted_online" integer DEFAULT 0 NOT NULL,
	"decided" integer DEFAULT 0 NOT NULL,
	"on_time" integer DEFAULT 0 NOT NULL,
	"first_time" integer DEFAULT 0 NOT NULL,
	"instant" integer DEFAULT 0 NOT NULL,
	"fully_online" integer DEFAULT 0 NOT NULL,
	"counter_trips" integer DEFAULT 0 NOT NULL,
	"working_milli" bigint DEFAULT 0 NOT NULL,
	"certificates" integer DEFAULT 0 NOT NULL,
	"exchanges_consumed" integer DEFAULT 0 NOT NULL,
	"exchanges_provided" integer DEFAULT 0 NOT NULL,
	"ratings" integer DEFAULT 0 NOT NULL,
	"ratings_good" integer DEFAULT 0 NOT NULL,
	"ratings_bad" integer DEFAULT 0 NOT NULL,
	"real_name_bad" integer DEFAULT 0 NOT NULL,
	"called_back" integer DEFAULT 0 NOT NULL,
	"rectifications" integer DEFAULT 0 NOT NULL,
	"rectified" integer DEFAULT 0 NOT NULL,
	"rectified_on_time" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "dashboard_years_org_code_service_code_year_pk" PRIMARY KEY("org_code","service_code","year")
);
--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "ratings" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "ratings_good" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "ratings_bad" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "real_name_bad" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "called_back" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "rectifications" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "rectified" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "rectified_on_time" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "ratings" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "ratings_good" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "ratings_bad" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "real_name_bad" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "called_back" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "rectifications" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "rectified" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_months" ADD COLUMN "rectified_on_time" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "dashboard_years_services_idx" ON "dashboard_years" USING btree ("org_code","year") WHERE "dashboard_years"."service_code" <> '';--> statement-breakpoint
-- The ratings given so far, counted on their days as the handler counts each step (a rating set aside on appeal counts no more).
WITH r AS (
  SELECT r.org_path, r.service_code, ((r.rated_at AT TIME ZONE 'UTC') + interval '8 hours')::date AS day,
    1 AS ratings, (r.level >= 4)::int AS ratings_good, (r.level <= 2)::int AS ratings_bad,
    (r.level <= 2 AND r.account_id IS NOT NULL)::int AS real_name_bad,
    (r.level <= 2 AND r.account_id IS NOT NULL AND EXISTS (SELECT 1 FROM rating_callbacks c WHERE c.rating_id = r.id))::int AS called_back,
    (t.id IS NOT NULL)::int AS rectifications, (t.replied_at IS NOT NULL)::int AS rectified,
    (t.replied_at IS NOT NULL AND ((t.replied_at AT TIME ZONE 'UTC') + interval '8 hours')::date <= t.deadline)::int AS rectified_on_time
  FROM ratings r LEFT JOIN rectifications t ON t.rating_id = r.id
  WHERE NOT EXISTS (SELECT 1 FROM rating_appeals a WHERE a.rating_id = r.id AND a.decision = 'overturned')
)
INSERT INTO dashboard_counts (org_code, service_code, day, ratings, ratings_good, ratings_bad, real_name_bad, called_back, rectifications, rectified, rectified_on_time)
SELECT o.code, s.service_code, r.day, sum(ratings), sum(ratings_good), sum(ratings_bad), sum(real_name_bad), sum(called_back), sum(rectifications), sum(rectified), sum(rectified_on_time)
FROM r CROSS JOIN LATERAL unnest(string_to_array(r.org_path, '.')) AS o(code)
  CROSS JOIN LATERAL (VALUES (r.service_code), ('')) AS s(service_code)
GROUP BY 1, 2, 3
ON CONFLICT (org_code, service_code, day) DO UPDATE SET ratings = excluded.ratings, ratings_good = excluded.ratings_good, ratings_bad = excluded.ratings_bad, real_name_bad = excluded.real_name_bad, called_back = excluded.called_back, rectifications = excluded.rectifications, rectified = excluded.rectified, rectified_on_time = excluded.rectified_on_time;
--> statement-breakpoint
INSERT INTO dashboard_months (org_code, service_code, month, ratings, ratings_good, ratings_bad, real_name_bad, called_back, rectifications, rectified, rectified_on_time)
SELECT org_code, service_code, date_trunc('month', day)::date, sum(ratings), sum(ratings_good), sum(ratings_bad), sum(real_name_bad), sum(called_back), sum(rectifications), sum(rectified), sum(rectified_on_time) FROM dashboard_counts
WHERE ratings <> 0 GROUP BY 1, 2, 3
ON CONFLICT (org_code, service_code, month) DO UPDATE SET ratings = excluded.ratings, ratings_good = excluded.ratings_good, ratings_bad = excluded.ratings_bad, real_name_bad = excluded.real_name_bad, called_back = excluded.called_back, rectifications = excluded.rectifications, rectified = excluded.rectified, rectified_on_time = excluded.rectified_on_time;
--> statement-breakpoint
-- The years from the months.
INSERT INTO dashboard_years (org_code, service_code, year, submitted, submitted_online, decided, on_time, first_time, instant, fully_online, counter_trips, working_milli, certificates, exchanges_consumed, exchanges_provided, ratings, ratings_good, ratings_bad, real_name_bad, called_back, rectifications, rectified, rectified_on_time)
SELECT org_code, service_code, date_trunc('year', month)::date, sum(submitted), sum(submitted_online), sum(decided), sum(on_time), sum(first_time), sum(instant), sum(fully_online), sum(counter_trips), sum(working_milli), sum(certificates), sum(exchanges_consumed), sum(exchanges_provided), sum(ratings), sum(ratings_good), sum(ratings_bad), sum(real_name_bad), sum(called_back), sum(rectifications), sum(rectified), sum(rectified_on_time) FROM dashboard_months GROUP BY 1, 2, 3;
