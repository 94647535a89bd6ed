ALTER TABLE "federation_members" ADD COLUMN "key_change" jsonb;--> statement-breakpoint
ALTER TABLE "federation_members" ADD COLUMN "revoked_at" timestamp with time zone;