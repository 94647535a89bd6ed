CREATE TABLE "insurance_remote_settlements" (
	"ref" uuid PRIMARY KEY NOT NULL,
	"from_member" text NOT NULL,
	"mdtrt_id" text NOT NULL,
	"institution_code" text NOT NULL,
	"treatment_region" text NOT NULL,
	"psn_no" text NOT NULL,
	"year" integer NOT NULL,
	"status" text NOT NULL,
	"policy_version" text NOT NULL,
	"total_fen" bigint NOT NULL,
	"deductible_fen" bigint NOT NULL,
	"hifp_pay_fen" bigint NOT NULL,
	"acct_pay_fen" bigint NOT NULL,
	"cash_pay_fen" bigint NOT NULL,
	"counts_stay" boolean NOT NULL,
	"result" jsonb NOT NULL,
	"settled_at" timestamp with time zone NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancel_ref" uuid,
	CONSTRAINT "insurance_remote_settlements_status_check" CHECK ("insurance_remote_settlements"."status" in ('settled','cancelled'))
);
--> statement-breakpoint
CREATE INDEX "insurance_remote_settlements_psn" ON "insurance_remote_settlements" USING btree ("psn_no","year");--> statement-breakpoint
CREATE UNIQUE INDEX "insurance_remote_settlements_open" ON "insurance_remote_settlements" USING btree ("from_member","mdtrt_id") WHERE "insurance_remote_settlements"."status" = 'settled';