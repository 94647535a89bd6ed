CREATE TABLE "dashboard_months" (
	"org_code" text NOT NULL,
	"service_code" text NOT NULL,
	"month" date NOT NULL,
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
	CONSTRAINT "dashboard_months_org_code_service_code_month_pk" PRIMARY KEY("org_code","service_code","month")
);
--> statement-breakpoint
DROP INDEX "dashboard_counts_day_idx";--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "exchanges_consumed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dashboard_counts" ADD COLUMN "exchanges_provided" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "dashboard_months_services_idx" ON "dashboard_months" USING btree ("org_code","month") WHERE "dashboard_months"."service_code" <> '';--> statement-breakpoint
CREATE INDEX "dashboard_applied_at_idx" ON "dashboard_applied" USING btree ("applied_at","event_id");--> statement-breakpoint
CREATE INDEX "dashboard_counts_services_idx" ON "dashboard_counts" USING btree ("org_code","day") WHERE "dashboard_counts"."service_code" <> '';--> statement-breakpoint
-- The months of the days counted so far (a database counted before this migration).
INSERT INTO "dashboard_months" ("org_code", "service_code", "month", "submitted", "submitted_online", "decided", "on_time", "first_time",
  "instant", "fully_online", "counter_trips", "working_milli", "certificates")
SELECT "org_code", "service_code", date_trunc('month', "day")::date, sum("submitted"), sum("submitted_online"), sum("decided"),
  sum("on_time"), sum("first_time"), sum("instant"), sum("fully_online"), sum("counter_trips"), sum("working_milli"), sum("certificates")
FROM "dashboard_counts" GROUP BY 1, 2, 3;

