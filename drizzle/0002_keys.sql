CREATE TABLE "signing_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"purpose" text NOT NULL,
	"algorithm" text NOT NULL,
	"public_key_spki" text NOT NULL,
	"encrypted_private_key" text NOT NULL,
	"certificate_pem" text NOT NULL,
	"chain_pem" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	CONSTRAINT "signing_keys_purpose_check" CHECK ("signing_keys"."purpose" in ('root','seal','pdf')),
	CONSTRAINT "signing_keys_algorithm_check" CHECK ("signing_keys"."algorithm" in ('SM2','Ed25519','P-256')),
	CONSTRAINT "signing_keys_status_check" CHECK ("signing_keys"."status" in ('active','retired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "signing_keys_active_unique" ON "signing_keys" USING btree ("owner","purpose","algorithm") WHERE "signing_keys"."status" = 'active';--> statement-breakpoint
CREATE INDEX "signing_keys_owner_idx" ON "signing_keys" USING btree ("owner","purpose");