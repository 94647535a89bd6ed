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
ALTER TABLE "ledger_cosignatures" ADD CONSTRAINT "ledger_cosignatures_size_ledger_checkpoints_size_fk" FOREIGN KEY ("size") REFERENCES "public"."ledger_checkpoints"("size") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_cosignatures" ADD CONSTRAINT "ledger_cosignatures_witness_ledger_witnesses_name_fk" FOREIGN KEY ("witness") REFERENCES "public"."ledger_witnesses"("name") ON DELETE cascade ON UPDATE no action;