CREATE TABLE "federation_documents" (
	"kind" text NOT NULL,
	"version" bigint NOT NULL,
	"envelope" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_documents_kind_version_pk" PRIMARY KEY("kind","version")
);
--> statement-breakpoint
CREATE TABLE "federation_hub" (
	"hub_url" text PRIMARY KEY NOT NULL,
	"member_id" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key_spki" text NOT NULL,
	"pinned_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federation_members" (
	"member_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"endpoint" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"keys" jsonb NOT NULL,
	"services" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"datasets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"root_certificate" text NOT NULL,
	"national_certificate" text,
	"status_signers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"approved_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_members_status_check" CHECK ("federation_members"."status" in ('pending','approved','revoked'))
);
--> statement-breakpoint
CREATE TABLE "federation_messages" (
	"direction" text NOT NULL,
	"id" uuid NOT NULL,
	"from_member" text NOT NULL,
	"to_member" text NOT NULL,
	"type" text NOT NULL,
	"body" text NOT NULL,
	"body_digest" text NOT NULL,
	"created" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"response" jsonb,
	"ledger_entry_id" bigint,
	"done_at" timestamp with time zone,
	CONSTRAINT "federation_messages_direction_id_pk" PRIMARY KEY("direction","id"),
	CONSTRAINT "federation_messages_direction_check" CHECK ("federation_messages"."direction" in ('out','in'))
);
--> statement-breakpoint
CREATE INDEX "federation_messages_pending_idx" ON "federation_messages" USING btree ("created") WHERE "federation_messages"."status" = 'pending';