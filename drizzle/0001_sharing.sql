CREATE TABLE "sharing_datasets" (
	"code" text PRIMARY KEY NOT NULL,
	"provider_org_code" text NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"fields" jsonb NOT NULL,
	"legal_basis" text NOT NULL,
	"provider" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sharing_exchanges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"consumer_org_code" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"dataset_code" text NOT NULL,
	"provider_org_code" text NOT NULL,
	"grant_id" uuid NOT NULL,
	"subject_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"fields" text[] NOT NULL,
	"consent_required" boolean NOT NULL,
	"status" text NOT NULL,
	"salt" text NOT NULL,
	"response_digest" text,
	"ledger_index" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "sharing_exchanges_request_key" UNIQUE("consumer_org_code","request_key"),
	CONSTRAINT "sharing_exchanges_status_check" CHECK ("sharing_exchanges"."status" in ('pending_consent','approved','declined','completed'))
);
--> statement-breakpoint
CREATE TABLE "sharing_grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dataset_code" text NOT NULL,
	"provider_org_code" text NOT NULL,
	"consumer_org_code" text NOT NULL,
	"fields" text[] NOT NULL,
	"purpose" text NOT NULL,
	"legal_basis" text NOT NULL,
	"consent_required" boolean NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sharing_records" (
	"dataset_code" text NOT NULL,
	"subject_key" text NOT NULL,
	"data" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sharing_records_dataset_code_subject_key_pk" PRIMARY KEY("dataset_code","subject_key")
);
--> statement-breakpoint
ALTER TABLE "sharing_exchanges" ADD CONSTRAINT "sharing_exchanges_dataset_code_sharing_datasets_code_fk" FOREIGN KEY ("dataset_code") REFERENCES "public"."sharing_datasets"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sharing_exchanges" ADD CONSTRAINT "sharing_exchanges_grant_id_sharing_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."sharing_grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sharing_grants" ADD CONSTRAINT "sharing_grants_dataset_code_sharing_datasets_code_fk" FOREIGN KEY ("dataset_code") REFERENCES "public"."sharing_datasets"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sharing_records" ADD CONSTRAINT "sharing_records_dataset_code_sharing_datasets_code_fk" FOREIGN KEY ("dataset_code") REFERENCES "public"."sharing_datasets"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sharing_exchanges_subject_idx" ON "sharing_exchanges" USING btree ("subject_id","created_at","id");--> statement-breakpoint
CREATE INDEX "sharing_grants_consumer_idx" ON "sharing_grants" USING btree ("consumer_org_code","dataset_code");--> statement-breakpoint
CREATE INDEX "sharing_grants_provider_idx" ON "sharing_grants" USING btree ("provider_org_code","created_at");