CREATE TABLE "bundles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"applicant_id" uuid NOT NULL,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"typed" jsonb NOT NULL,
	"form" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"provenance" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"cases" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stage" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bundles_idempotency_uq" UNIQUE("applicant_id","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "bundles_applicant_idx" ON "bundles" USING btree ("applicant_id","created_at");