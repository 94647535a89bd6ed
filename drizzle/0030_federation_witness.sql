CREATE TABLE "federation_cosigned" (
	"member_id" text NOT NULL,
	"witness_id" text NOT NULL,
	"size" bigint NOT NULL,
	"root_hash" text NOT NULL,
	"note" text NOT NULL,
	"reported_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_cosigned_member_id_witness_id_size_root_hash_pk" PRIMARY KEY("member_id","witness_id","size","root_hash")
);
--> statement-breakpoint
CREATE TABLE "federation_equivocations" (
	"evidence_digest" text PRIMARY KEY NOT NULL,
	"member_id" text NOT NULL,
	"kind" text NOT NULL,
	"note_a" text NOT NULL,
	"note_b" text NOT NULL,
	"detail" text NOT NULL,
	"detected_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "federation_members" ADD COLUMN "ledger" jsonb;--> statement-breakpoint
CREATE INDEX "federation_cosigned_member_idx" ON "federation_cosigned" USING btree ("member_id","size");