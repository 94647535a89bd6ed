CREATE TABLE "case_decisions" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"decision" text NOT NULL,
	"decided_by" uuid NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"action" text NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"actor_id" uuid NOT NULL,
	"on_behalf_of" uuid,
	"channel" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"service_code" text NOT NULL,
	"applicant_id" uuid NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"state" text NOT NULL,
	"channel" text NOT NULL,
	"form" jsonb NOT NULL,
	"helper_id" uuid,
	"submitted_at" timestamp with time zone,
	"due_date" date,
	"decided_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"return_reason" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cases_seq_unique" UNIQUE("seq"),
	CONSTRAINT "cases_state_check" CHECK ("cases"."state" in ('draft','submitted','accepted','in_review','returned','approved','rejected','completed'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"case_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_principal_id_key_pk" PRIMARY KEY("principal_id","key")
);
--> statement-breakpoint
CREATE TABLE "service_items" (
	"code" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"category" text NOT NULL,
	"handler_level" text NOT NULL,
	"department_kind" text,
	"materials" jsonb NOT NULL,
	"form_fields" jsonb NOT NULL,
	"time_limit_days" integer NOT NULL,
	"channels" text[] NOT NULL,
	"fee_cents" integer DEFAULT 0 NOT NULL,
	"online" boolean NOT NULL,
	"certificate_type" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_items_limit_check" CHECK ("service_items"."time_limit_days" > 0),
	CONSTRAINT "service_items_fee_check" CHECK ("service_items"."fee_cents" >= 0)
);
--> statement-breakpoint
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
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_kind_check" CHECK ("accounts"."kind" in ('resident','staff')),
	CONSTRAINT "accounts_status_check" CHECK ("accounts"."status" in ('active','disabled'))
);
--> statement-breakpoint
CREATE TABLE "delegations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"resident_id" uuid NOT NULL,
	"helper_id" uuid NOT NULL,
	"scopes" text[] NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"actor_id" uuid,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "residents" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"resident_id_cipher" text NOT NULL,
	"resident_id_hash" text NOT NULL,
	"resident_id_masked" text NOT NULL,
	"phone" text NOT NULL,
	"birth_date" date NOT NULL,
	"gender" text NOT NULL,
	"address_code" text NOT NULL,
	"home_org_code" text,
	CONSTRAINT "residents_resident_id_hash_unique" UNIQUE("resident_id_hash")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "staff" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	CONSTRAINT "staff_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "staff_roles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"role" text NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "staff_roles_unique" UNIQUE("account_id","role","org_code")
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_cosignatures" (
	"size" bigint NOT NULL,
	"witness" text NOT NULL,
	"signature" text NOT NULL,
	"cosigned_at" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_cosignatures_size_witness_pk" PRIMARY KEY("size","witness")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"idx" bigint PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"data" "bytea" NOT NULL,
	"leaf_hash" "bytea" GENERATED ALWAYS AS (sha256('\x00'::bytea || data)) STORED NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"next_idx" bigint NOT NULL,
	CONSTRAINT "ledger_head_single_row" CHECK ("ledger_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "ledger_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"public_key" "bytea" NOT NULL,
	"secret_key_encrypted" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_tiles" (
	"level" smallint NOT NULL,
	"index" bigint NOT NULL,
	"width" smallint NOT NULL,
	"hashes" "bytea" NOT NULL,
	CONSTRAINT "ledger_tiles_level_index_pk" PRIMARY KEY("level","index"),
	CONSTRAINT "ledger_tiles_width" CHECK ("ledger_tiles"."width" between 1 and 256 and length("ledger_tiles"."hashes") = 32 * "ledger_tiles"."width")
);
--> statement-breakpoint
CREATE TABLE "ledger_witnesses" (
	"name" text PRIMARY KEY NOT NULL,
	"vkey" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_witnesses_vkey_unique" UNIQUE("vkey")
);
--> statement-breakpoint
CREATE TABLE "orgs" (
	"code" text PRIMARY KEY NOT NULL,
	"level" text NOT NULL,
	"name" text NOT NULL,
	"parent_code" text,
	"path" text NOT NULL,
	"depth" integer NOT NULL,
	"division_code" text NOT NULL,
	"department_kind" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orgs_level_check" CHECK ("orgs"."level" in ('province','city','county','township','village','department'))
);
--> statement-breakpoint
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
ALTER TABLE "case_decisions" ADD CONSTRAINT "case_decisions_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificate_status_events" ADD CONSTRAINT "certificate_status_events_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_links" ADD CONSTRAINT "share_links_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_resident_id_accounts_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_helper_id_accounts_id_fk" FOREIGN KEY ("helper_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residents" ADD CONSTRAINT "residents_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff" ADD CONSTRAINT "staff_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_roles" ADD CONSTRAINT "staff_roles_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_cosignatures" ADD CONSTRAINT "ledger_cosignatures_size_ledger_checkpoints_size_fk" FOREIGN KEY ("size") REFERENCES "public"."ledger_checkpoints"("size") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_cosignatures" ADD CONSTRAINT "ledger_cosignatures_witness_ledger_witnesses_name_fk" FOREIGN KEY ("witness") REFERENCES "public"."ledger_witnesses"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_events_case_idx" ON "case_events" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "cases_open_org_idx" ON "cases" USING btree ("org_code","due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
CREATE INDEX "cases_open_l1_idx" ON "cases" USING btree (split_part("org_path", '.', 1),"due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
CREATE INDEX "cases_open_l2_idx" ON "cases" USING btree (split_part("org_path", '.', 2),"due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
CREATE INDEX "cases_open_l3_idx" ON "cases" USING btree (split_part("org_path", '.', 3),"due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
CREATE INDEX "cases_open_l4_idx" ON "cases" USING btree (split_part("org_path", '.', 4),"due_date","id") WHERE state in ('submitted','accepted','in_review') and due_date is not null;--> statement-breakpoint
CREATE INDEX "cases_queue_idx" ON "cases" USING btree ("org_code","state","due_date","id");--> statement-breakpoint
CREATE INDEX "cases_path_queue_idx" ON "cases" USING btree ("org_path" text_pattern_ops,"state","due_date","id");--> statement-breakpoint
CREATE INDEX "cases_applicant_idx" ON "cases" USING btree ("applicant_id","seq");--> statement-breakpoint
CREATE INDEX "certificates_holder_idx" ON "certificates" USING btree ("holder_id","serial");--> statement-breakpoint
CREATE INDEX "certificates_issuer_idx" ON "certificates" USING btree ("issuer_org_path" text_pattern_ops,"serial");--> statement-breakpoint
CREATE INDEX "certificates_revoked_idx" ON "certificates" USING btree ("status_list","status") WHERE "certificates"."status" <> 'active';--> statement-breakpoint
CREATE INDEX "registered_signatures_account_idx" ON "registered_signatures" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("available_at","id") WHERE "outbox"."processed_at" is null;--> statement-breakpoint
CREATE INDEX "delegations_helper_idx" ON "delegations" USING btree ("helper_id","resident_id");--> statement-breakpoint
CREATE INDEX "delegations_resident_idx" ON "delegations" USING btree ("resident_id");--> statement-breakpoint
CREATE INDEX "identity_audit_account_idx" ON "identity_audit" USING btree ("account_id","at");--> statement-breakpoint
CREATE INDEX "residents_phone_idx" ON "residents" USING btree ("phone");--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "staff_roles_org_idx" ON "staff_roles" USING btree ("org_code");--> statement-breakpoint
CREATE INDEX "staff_roles_path_idx" ON "staff_roles" USING btree ("org_path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "orgs_parent_idx" ON "orgs" USING btree ("parent_code");--> statement-breakpoint
CREATE INDEX "orgs_path_idx" ON "orgs" USING btree ("path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "orgs_department_idx" ON "orgs" USING btree ("department_kind","division_code");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_keys_active_unique" ON "signing_keys" USING btree ("owner","purpose","algorithm") WHERE "signing_keys"."status" = 'active';--> statement-breakpoint
CREATE INDEX "signing_keys_owner_idx" ON "signing_keys" USING btree ("owner","purpose");