CREATE TABLE "insurance_catalogue" (
	"region" text NOT NULL,
	"code" text NOT NULL,
	"kind" text NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"unit" text NOT NULL,
	"item_class" text NOT NULL,
	"price_limit_fen" bigint,
	"max_price_fen" bigint,
	"effective_from" date NOT NULL,
	"effective_to" date,
	CONSTRAINT "insurance_catalogue_region_code_effective_from_pk" PRIMARY KEY("region","code","effective_from")
);
--> statement-breakpoint
CREATE TABLE "insurance_clearings" (
	"month" text NOT NULL,
	"treatment_region" text NOT NULL,
	"insurance_region" text NOT NULL,
	"totals" jsonb NOT NULL,
	"discrepancies" jsonb NOT NULL,
	"certificate_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_clearings_month_treatment_region_insurance_region_pk" PRIMARY KEY("month","treatment_region","insurance_region")
);
--> statement-breakpoint
CREATE TABLE "insurance_encounters" (
	"mdtrt_id" text PRIMARY KEY NOT NULL,
	"institution_code" text NOT NULL,
	"psn_no" text NOT NULL,
	"med_type" text NOT NULL,
	"begin_date" date NOT NULL,
	"emergency" boolean NOT NULL,
	"where" text NOT NULL,
	"filed" boolean NOT NULL,
	"status" text NOT NULL,
	"presettle_digest" text,
	"presettle_total_fen" bigint,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "insurance_fee_lines" (
	"mdtrt_id" text NOT NULL,
	"feedetl_sn" text NOT NULL,
	"code" text NOT NULL,
	"name_zh" text NOT NULL,
	"item_class" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_fen" bigint NOT NULL,
	"price_limit_fen" bigint,
	"msgid" text NOT NULL,
	CONSTRAINT "insurance_fee_lines_mdtrt_id_feedetl_sn_pk" PRIMARY KEY("mdtrt_id","feedetl_sn")
);
--> statement-breakpoint
CREATE TABLE "insurance_filings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"psn_no" text NOT NULL,
	"kind" text NOT NULL,
	"destination" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date,
	"case_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_filings_case_id_unique" UNIQUE("case_id")
);
--> statement-breakpoint
CREATE TABLE "insurance_institutions" (
	"code" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"level" integer NOT NULL,
	"region" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key" "bytea" NOT NULL,
	"status" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_institutions_key_id_unique" UNIQUE("key_id")
);
--> statement-breakpoint
CREATE TABLE "insurance_messages" (
	"msgid" text PRIMARY KEY NOT NULL,
	"institution_code" text NOT NULL,
	"infno" text NOT NULL,
	"request_digest" text NOT NULL,
	"response" jsonb NOT NULL,
	"reversed_by" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "insurance_person_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"psn_no" text NOT NULL,
	"from_date" date NOT NULL,
	"scheme" text NOT NULL,
	"region" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "insurance_persons" (
	"psn_no" text PRIMARY KEY NOT NULL,
	"subject_key" text NOT NULL,
	"name" text NOT NULL,
	"id_masked" text NOT NULL,
	"gender" text NOT NULL,
	"birth_date" date NOT NULL,
	"scheme" text NOT NULL,
	"region" text NOT NULL,
	"status" text NOT NULL,
	"account_balance_fen" bigint DEFAULT 0 NOT NULL,
	"account_id" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_persons_subject_key_unique" UNIQUE("subject_key")
);
--> statement-breakpoint
CREATE TABLE "insurance_policies" (
	"region" text NOT NULL,
	"version" text NOT NULL,
	"effective_from" date NOT NULL,
	"effective_to" date,
	"legal_basis" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "insurance_policies_region_version_pk" PRIMARY KEY("region","version")
);
--> statement-breakpoint
CREATE TABLE "insurance_reconciliations" (
	"institution_code" text NOT NULL,
	"day" date NOT NULL,
	"insurance_region" text NOT NULL,
	"theirs" jsonb NOT NULL,
	"ours" jsonb NOT NULL,
	"matched" boolean NOT NULL,
	"msgid" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_reconciliations_institution_code_day_insurance_region_pk" PRIMARY KEY("institution_code","day","insurance_region")
);
--> statement-breakpoint
CREATE TABLE "insurance_regions" (
	"region" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"office_org_code" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "insurance_settlements" (
	"setl_id" text PRIMARY KEY NOT NULL,
	"mdtrt_id" text NOT NULL,
	"psn_no" text NOT NULL,
	"institution_code" text NOT NULL,
	"treatment_region" text NOT NULL,
	"insurance_region" text NOT NULL,
	"year" integer NOT NULL,
	"status" text NOT NULL,
	"policy_version" text NOT NULL,
	"total_fen" bigint NOT NULL,
	"inscp_fen" bigint NOT NULL,
	"deductible_fen" bigint NOT NULL,
	"hifp_pay_fen" bigint NOT NULL,
	"acct_pay_fen" bigint NOT NULL,
	"cash_pay_fen" bigint NOT NULL,
	"counts_stay" boolean NOT NULL,
	"result" jsonb NOT NULL,
	"list" jsonb,
	"certificate_id" uuid,
	"msgid" text NOT NULL,
	"settled_at" timestamp with time zone NOT NULL,
	"day" date NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancel_msgid" text,
	"ledger_entry_id" bigint NOT NULL,
	CONSTRAINT "insurance_settlements_msgid" UNIQUE("msgid")
);
--> statement-breakpoint
CREATE TABLE "insurance_year_totals" (
	"psn_no" text NOT NULL,
	"year" integer NOT NULL,
	"deductible_used_fen" bigint DEFAULT 0 NOT NULL,
	"fund_paid_fen" bigint DEFAULT 0 NOT NULL,
	"account_paid_fen" bigint DEFAULT 0 NOT NULL,
	"stays" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "insurance_year_totals_psn_no_year_pk" PRIMARY KEY("psn_no","year")
);
--> statement-breakpoint
ALTER TABLE "insurance_encounters" ADD CONSTRAINT "insurance_encounters_institution_code_insurance_institutions_code_fk" FOREIGN KEY ("institution_code") REFERENCES "public"."insurance_institutions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_encounters" ADD CONSTRAINT "insurance_encounters_psn_no_insurance_persons_psn_no_fk" FOREIGN KEY ("psn_no") REFERENCES "public"."insurance_persons"("psn_no") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_fee_lines" ADD CONSTRAINT "insurance_fee_lines_mdtrt_id_insurance_encounters_mdtrt_id_fk" FOREIGN KEY ("mdtrt_id") REFERENCES "public"."insurance_encounters"("mdtrt_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_filings" ADD CONSTRAINT "insurance_filings_psn_no_insurance_persons_psn_no_fk" FOREIGN KEY ("psn_no") REFERENCES "public"."insurance_persons"("psn_no") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_person_history" ADD CONSTRAINT "insurance_person_history_psn_no_insurance_persons_psn_no_fk" FOREIGN KEY ("psn_no") REFERENCES "public"."insurance_persons"("psn_no") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_settlements" ADD CONSTRAINT "insurance_settlements_mdtrt_id_insurance_encounters_mdtrt_id_fk" FOREIGN KEY ("mdtrt_id") REFERENCES "public"."insurance_encounters"("mdtrt_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "insurance_encounters_psn" ON "insurance_encounters" USING btree ("psn_no");--> statement-breakpoint
CREATE INDEX "insurance_fee_lines_msgid" ON "insurance_fee_lines" USING btree ("msgid");--> statement-breakpoint
CREATE INDEX "insurance_filings_psn" ON "insurance_filings" USING btree ("psn_no");--> statement-breakpoint
CREATE INDEX "insurance_messages_inst" ON "insurance_messages" USING btree ("institution_code","created_at");--> statement-breakpoint
CREATE INDEX "insurance_person_history_psn" ON "insurance_person_history" USING btree ("psn_no","from_date");--> statement-breakpoint
CREATE INDEX "insurance_persons_account" ON "insurance_persons" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "insurance_settlements_psn" ON "insurance_settlements" USING btree ("psn_no");--> statement-breakpoint
CREATE INDEX "insurance_settlements_inst_day" ON "insurance_settlements" USING btree ("institution_code","day");--> statement-breakpoint
CREATE INDEX "insurance_settlements_day" ON "insurance_settlements" USING btree ("day");