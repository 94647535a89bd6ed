ALTER TABLE "federation_members" DROP CONSTRAINT "federation_members_status_check";--> statement-breakpoint
ALTER TABLE "federation_messages" ALTER COLUMN "body" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "federation_members" ADD COLUMN "rejected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "federation_members" ADD COLUMN "rejection_reason" text;--> statement-breakpoint
ALTER TABLE "federation_messages" ADD COLUMN "sealed_body" text;--> statement-breakpoint
ALTER TABLE "federation_messages" ADD COLUMN "pruned_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "federation_messages_clear_idx" ON "federation_messages" USING btree ("created") WHERE "federation_messages"."body" is not null;--> statement-breakpoint
CREATE INDEX "federation_messages_prunable_idx" ON "federation_messages" USING btree ("done_at") WHERE "federation_messages"."pruned_at" is null and "federation_messages"."status" in ('applied','delivered');--> statement-breakpoint
ALTER TABLE "federation_members" ADD CONSTRAINT "federation_members_status_check" CHECK ("federation_members"."status" in ('pending','approved','rejected','revoked'));