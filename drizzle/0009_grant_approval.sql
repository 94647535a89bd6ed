ALTER TABLE "sharing_grants" ADD COLUMN "status" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD COLUMN "legal_basis_code" text;--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD COLUMN "decided_by" uuid;--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD COLUMN "decided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD COLUMN "decision_note" text;--> statement-breakpoint
CREATE INDEX "sharing_grants_status_idx" ON "sharing_grants" USING btree ("status");--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD CONSTRAINT "sharing_grants_status_check" CHECK ("sharing_grants"."status" in ('pending_approval','active','refused'));