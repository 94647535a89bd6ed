CREATE TABLE "sharing_payments" (
	"instruction_id" uuid PRIMARY KEY NOT NULL,
	"instruction_hash" text NOT NULL,
	"payer_org_code" text NOT NULL,
	"payer_org_path" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"payee_key" text NOT NULL,
	"payee_masked" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"purpose" text NOT NULL,
	"reference" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"salt" text NOT NULL,
	"bank_reference" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"ledger_entry_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"accepted_at" timestamp with time zone,
	"refused_at" timestamp with time zone,
	CONSTRAINT "sharing_payments_status_check" CHECK ("sharing_payments"."status" in ('pending','accepted','refused')),
	CONSTRAINT "sharing_payments_amount_check" CHECK ("sharing_payments"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE INDEX "sharing_payments_payer_idx" ON "sharing_payments" USING btree ("payer_org_code","created_at","instruction_id");