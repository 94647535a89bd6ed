ALTER TABLE "federation_cases" ADD COLUMN "applicant_id" uuid;--> statement-breakpoint
ALTER TABLE "federation_cases" ADD COLUMN "channel" text DEFAULT 'window' NOT NULL;--> statement-breakpoint
ALTER TABLE "federation_cases" ADD COLUMN "request_key" text;--> statement-breakpoint
ALTER TABLE "federation_cases" ADD COLUMN "certificate" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "federation_cases_request_uq" ON "federation_cases" USING btree ("applicant_id","request_key");--> statement-breakpoint
CREATE UNIQUE INDEX "federation_cases_clerk_request_uq" ON "federation_cases" USING btree ("clerk_id","request_key");