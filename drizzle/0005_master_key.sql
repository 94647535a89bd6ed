CREATE TABLE "master_key" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "master_key_fingerprint_unique" UNIQUE("fingerprint"),
	CONSTRAINT "master_key_singleton_check" CHECK ("master_key"."singleton")
);
--> statement-breakpoint
-- Hand-edited: nullable here, because rows of an existing deployment have no fingerprint yet; the
-- first start with the right key fills them and sets NOT NULL (identity/master-key.ts).
ALTER TABLE "residents" ADD COLUMN "key_fingerprint" text;--> statement-breakpoint
ALTER TABLE "residents" ADD CONSTRAINT "residents_key_fingerprint_master_key_fingerprint_fk" FOREIGN KEY ("key_fingerprint") REFERENCES "public"."master_key"("fingerprint") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
-- Hand-written: a database without residents (a new one) gets the NOT NULL at once.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM "residents") THEN
    ALTER TABLE "residents" ALTER COLUMN "key_fingerprint" SET NOT NULL;
  END IF;
END $$;
