CREATE TABLE "rule_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"rule_code" text NOT NULL,
	"version" integer NOT NULL,
	"hash" text NOT NULL,
	"outcome" text NOT NULL,
	"trace" jsonb NOT NULL,
	"event_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rule_decisions_case_version" UNIQUE("case_id","rule_code","version")
);
--> statement-breakpoint
ALTER TABLE "service_items" ADD COLUMN "instant_rule" text;