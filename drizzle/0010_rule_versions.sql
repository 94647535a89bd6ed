CREATE TABLE "rule_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rule_code" text NOT NULL,
	"version" integer NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"org_code" text NOT NULL,
	"purpose" text NOT NULL,
	"body" jsonb NOT NULL,
	"legal_basis" jsonb NOT NULL,
	"effective_from" date NOT NULL,
	"effective_to" date,
	"hash" text NOT NULL,
	"status" text NOT NULL,
	"proposed_by" uuid NOT NULL,
	"proposed_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"activated_by" uuid,
	"activated_at" timestamp with time zone,
	"activation_reason" text,
	"retired_at" timestamp with time zone,
	"ledger_entry_id" bigint NOT NULL,
	CONSTRAINT "rule_versions_code_version" UNIQUE("rule_code","version"),
	CONSTRAINT "rule_versions_status" CHECK ("rule_versions"."status" in ('draft', 'active', 'retired'))
);
--> statement-breakpoint
CREATE INDEX "rule_versions_org_idx" ON "rule_versions" USING btree ("org_code");--> statement-breakpoint
CREATE UNIQUE INDEX "rule_versions_one_active" ON "rule_versions" USING btree ("rule_code") WHERE "rule_versions"."status" = 'active';