CREATE TABLE "status_lists" (
	"id" integer PRIMARY KEY NOT NULL,
	"size" integer NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "status_lists_size_check" CHECK ("status_lists"."size" > 0 and "status_lists"."size" % 8 = 0),
	CONSTRAINT "status_lists_used_check" CHECK ("status_lists"."used" >= 0)
);

--> statement-breakpoint
-- Certificates issued before this table existed all went to list 1 (131,072 entries).
INSERT INTO "status_lists" ("id", "size", "used")
SELECT "status_list"::integer, 131072, count(*)::integer FROM "certificates" WHERE "status_list" ~ '^[0-9]+$' GROUP BY 1;
