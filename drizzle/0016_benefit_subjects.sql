CREATE TABLE "benefit_subjects" (
	"subject_key" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
