CREATE TABLE "certificate_status_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"certificate_id" uuid NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"actor_id" uuid NOT NULL,
	"ledger_index" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "certificate_types" (
	"code" text PRIMARY KEY NOT NULL,
	"type_code" text NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"service_code" text NOT NULL,
	"fields" jsonb NOT NULL,
	"validity_days" integer,
	"template" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificate_types_type_code_unique" UNIQUE("type_code"),
	CONSTRAINT "certificate_types_service_code_unique" UNIQUE("service_code")
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"serial" bigserial NOT NULL,
	"identifier" text NOT NULL,
	"case_id" uuid NOT NULL,
	"type_code" text NOT NULL,
	"holder_id" uuid NOT NULL,
	"issuer_org_code" text NOT NULL,
	"issuer_org_path" text NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"payload" text NOT NULL,
	"signature" text NOT NULL,
	"disclosures" jsonb NOT NULL,
	"status_list" text NOT NULL,
	"status_index" integer NOT NULL,
	"ledger_index" bigint NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"status_changed_at" timestamp with time zone,
	"status_changed_by" uuid,
	CONSTRAINT "certificates_serial_unique" UNIQUE("serial"),
	CONSTRAINT "certificates_identifier_unique" UNIQUE("identifier"),
	CONSTRAINT "certificates_case_id_unique" UNIQUE("case_id"),
	CONSTRAINT "certificates_status_slot" UNIQUE("status_list","status_index"),
	CONSTRAINT "certificates_status_check" CHECK ("certificates"."status" in ('active','revoked','suspended'))
);
--> statement-breakpoint
CREATE TABLE "registered_signatures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"image" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_by" uuid,
	"activated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "share_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"certificate_id" uuid NOT NULL,
	"fields" text[] NOT NULL,
	"created_by" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "certificate_status_events" ADD CONSTRAINT "certificate_status_events_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_links" ADD CONSTRAINT "share_links_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificates_holder_idx" ON "certificates" USING btree ("holder_id","serial");--> statement-breakpoint
CREATE INDEX "certificates_issuer_idx" ON "certificates" USING btree ("issuer_org_path" text_pattern_ops,"serial");--> statement-breakpoint
CREATE INDEX "certificates_revoked_idx" ON "certificates" USING btree ("status_list","status") WHERE "certificates"."status" <> 'active';--> statement-breakpoint
CREATE INDEX "registered_signatures_account_idx" ON "registered_signatures" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("available_at","id") WHERE "outbox"."processed_at" is null;