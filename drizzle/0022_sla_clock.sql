CREATE TABLE "case_escalations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"offset_days" integer NOT NULL,
	"levels_up" integer NOT NULL,
	"to_org_code" text NOT NULL,
	"due_date" date NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "case_escalations_case_step_key" UNIQUE("case_id","step")
);
--> statement-breakpoint
CREATE TABLE "sla_ladders" (
	"org_code" text PRIMARY KEY NOT NULL,
	"org_path" text NOT NULL,
	"steps" jsonb NOT NULL,
	"updated_by" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sla_ladders_org_path_unique" UNIQUE("org_path")
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "sla_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "sla_paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "sla_paused_days" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "case_escalations" ADD CONSTRAINT "case_escalations_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_escalations_to_idx" ON "case_escalations" USING btree ("to_org_code","id");--> statement-breakpoint
CREATE INDEX "cases_open_due_idx" ON "cases" USING btree ("due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
-- Cases waiting for correction when the clock arrived: paused since their last change.
UPDATE "cases" SET "sla_paused_at" = "updated_at" WHERE "state" = 'returned';