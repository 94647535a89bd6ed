CREATE TABLE "federation_cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"side" text NOT NULL,
	"peer" text NOT NULL,
	"handover_message_id" uuid NOT NULL,
	"origin_ref" uuid NOT NULL,
	"service_code" text NOT NULL,
	"form" jsonb NOT NULL,
	"materials" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"applicant_masked" text NOT NULL,
	"applicant_key" text NOT NULL,
	"state" text NOT NULL,
	"case_id" uuid,
	"decision" text,
	"reason" text,
	"certificate_id" text,
	"clerk_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "federation_cases_message_uq" ON "federation_cases" USING btree ("side","handover_message_id");--> statement-breakpoint
CREATE INDEX "federation_cases_case_idx" ON "federation_cases" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "federation_cases_applicant_idx" ON "federation_cases" USING btree ("applicant_key");