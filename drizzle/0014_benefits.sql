CREATE TABLE "benefit_grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"benefit_code" text NOT NULL,
	"subject_key" text NOT NULL,
	"instance" text DEFAULT '' NOT NULL,
	"account_id" uuid,
	"payee_masked" text NOT NULL,
	"status" text NOT NULL,
	"outcome" text NOT NULL,
	"amount_fen" bigint,
	"rule_version" integer NOT NULL,
	"rule_hash" text NOT NULL,
	"trace" jsonb NOT NULL,
	"trigger_event_id" bigint,
	"triggered_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone NOT NULL,
	"responded_at" timestamp with time zone,
	"stopped_at" timestamp with time zone,
	"stop_reason" text,
	"case_id" uuid,
	"review_case_id" uuid,
	"ledger_entry_id" bigint NOT NULL,
	CONSTRAINT "benefit_grants_subject" UNIQUE("benefit_code","subject_key","instance")
);
--> statement-breakpoint
CREATE TABLE "benefit_opt_outs" (
	"subject_key" text NOT NULL,
	"benefit_code" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "benefit_opt_outs_subject_key_benefit_code_pk" PRIMARY KEY("subject_key","benefit_code")
);
--> statement-breakpoint
CREATE TABLE "benefit_payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"grant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"status" text NOT NULL,
	"bank_reference" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "benefit_payments_period" UNIQUE("grant_id","period")
);
--> statement-breakpoint
CREATE TABLE "benefits" (
	"code" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"mode" text NOT NULL,
	"trigger" jsonb NOT NULL,
	"rule_code" text NOT NULL,
	"payer_org_code" text NOT NULL,
	"service_code" text,
	"review_service_code" text NOT NULL,
	"schedule" text NOT NULL,
	"instance_input" text,
	"active" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "benefit_grants" ADD CONSTRAINT "benefit_grants_benefit_code_benefits_code_fk" FOREIGN KEY ("benefit_code") REFERENCES "public"."benefits"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "benefit_opt_outs" ADD CONSTRAINT "benefit_opt_outs_benefit_code_benefits_code_fk" FOREIGN KEY ("benefit_code") REFERENCES "public"."benefits"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "benefit_payments" ADD CONSTRAINT "benefit_payments_grant_id_benefit_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."benefit_grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "benefit_grants_account" ON "benefit_grants" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "benefit_grants_subject_key" ON "benefit_grants" USING btree ("subject_key");--> statement-breakpoint
CREATE INDEX "benefit_grants_status" ON "benefit_grants" USING btree ("benefit_code","status");--> statement-breakpoint
CREATE INDEX "benefit_payments_status" ON "benefit_payments" USING btree ("status");