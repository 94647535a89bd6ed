CREATE TABLE "federation_evidence" (
	"id" uuid PRIMARY KEY NOT NULL,
	"side" text NOT NULL,
	"peer" text NOT NULL,
	"request_message_id" uuid,
	"origin_ref" uuid NOT NULL,
	"case_ref" text NOT NULL,
	"evidence_type" text NOT NULL,
	"resident_account_id" uuid,
	"subject_key" text,
	"state" text NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	"document" jsonb,
	"digest" text,
	"verification" jsonb,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "federation_evidence_message_uq" ON "federation_evidence" USING btree ("side","request_message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "federation_evidence_idempotency_uq" ON "federation_evidence" USING btree ("resident_account_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "federation_evidence_case_idx" ON "federation_evidence" USING btree ("case_ref");