CREATE TABLE "insurance_window_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_id" uuid NOT NULL,
	"institution_code" text NOT NULL,
	"action" text NOT NULL,
	"psn_no" text,
	"id_masked" text,
	"mdtrt_id" text,
	"setl_id" text,
	"case_id" uuid,
	"msgid" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "insurance_institutions" ADD COLUMN "org_code" text;--> statement-breakpoint
CREATE INDEX "insurance_window_log_inst" ON "insurance_window_log" USING btree ("institution_code","at");--> statement-breakpoint
CREATE INDEX "insurance_window_log_psn" ON "insurance_window_log" USING btree ("psn_no");--> statement-breakpoint
ALTER TABLE "insurance_institutions" ADD CONSTRAINT "insurance_institutions_org_code_unique" UNIQUE("org_code");