CREATE TABLE "dashboard_applied" (
	"event_id" bigint PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dashboard_counts" (
	"org_code" text NOT NULL,
	"service_code" text NOT NULL,
	"day" date NOT NULL,
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
	CONSTRAINT "dashboard_counts_org_code_service_code_day_pk" PRIMARY KEY("org_code","service_code","day")
);
--> statement-breakpoint
CREATE INDEX "dashboard_counts_day_idx" ON "dashboard_counts" USING btree ("org_code","day");