CREATE TABLE "rating_appeals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rating_id" uuid NOT NULL,
	"org_code" text NOT NULL,
	"reason" text NOT NULL,
	"filed_by" uuid NOT NULL,
	"filed_at" timestamp with time zone NOT NULL,
	"decision" text,
	"decision_note" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	CONSTRAINT "rating_appeals_rating" UNIQUE("rating_id")
);
--> statement-breakpoint
CREATE TABLE "rating_callbacks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rating_id" uuid NOT NULL,
	"called_by" uuid NOT NULL,
	"called_at" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"note" text,
	CONSTRAINT "rating_callbacks_outcome_check" CHECK ("rating_callbacks"."outcome" in ('reached','not_reached'))
);
--> statement-breakpoint
CREATE TABLE "rating_encounters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token" text NOT NULL,
	"channel" text NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"service_code" text NOT NULL,
	"account_id" uuid,
	"case_id" uuid,
	"opened_by" uuid NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rating_encounters_token_unique" UNIQUE("token"),
	CONSTRAINT "rating_encounters_channel_check" CHECK ("rating_encounters"."channel" in ('window','kiosk','helper'))
);
--> statement-breakpoint
CREATE TABLE "rating_policies" (
	"org_path" text PRIMARY KEY NOT NULL,
	"working_days" integer NOT NULL,
	"basis" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ratings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid,
	"encounter_id" uuid,
	"channel" text NOT NULL,
	"level" smallint NOT NULL,
	"indicators" jsonb NOT NULL,
	"comment" text,
	"account_id" uuid,
	"rater_salt" text NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"service_code" text NOT NULL,
	"rated_at" timestamp with time zone NOT NULL,
	"ledger_entry_id" bigint NOT NULL,
	CONSTRAINT "ratings_case_id_unique" UNIQUE("case_id"),
	CONSTRAINT "ratings_encounter_id_unique" UNIQUE("encounter_id"),
	CONSTRAINT "ratings_level_check" CHECK ("ratings"."level" between 1 and 5),
	CONSTRAINT "ratings_subject_check" CHECK (("ratings"."case_id" is null) <> ("ratings"."encounter_id" is null)),
	CONSTRAINT "ratings_channel_check" CHECK ("ratings"."channel" in ('app','kiosk','window','sms','helper'))
);
--> statement-breakpoint
CREATE TABLE "rectifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rating_id" uuid NOT NULL,
	"org_code" text NOT NULL,
	"org_path" text NOT NULL,
	"working_days" integer NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"deadline" date NOT NULL,
	"state" text NOT NULL,
	"escalated_to_code" text,
	"escalated_at" timestamp with time zone,
	"reply" text,
	"replied_by" uuid,
	"replied_at" timestamp with time zone,
	"rerating" text,
	"rerated_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "rectifications_rating_id_unique" UNIQUE("rating_id"),
	CONSTRAINT "rectifications_state_check" CHECK ("rectifications"."state" in ('open','escalated','rectified','closed'))
);
--> statement-breakpoint
ALTER TABLE "rating_appeals" ADD CONSTRAINT "rating_appeals_rating_id_ratings_id_fk" FOREIGN KEY ("rating_id") REFERENCES "public"."ratings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rating_callbacks" ADD CONSTRAINT "rating_callbacks_rating_id_ratings_id_fk" FOREIGN KEY ("rating_id") REFERENCES "public"."ratings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_encounter_id_rating_encounters_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "public"."rating_encounters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rectifications" ADD CONSTRAINT "rectifications_rating_id_ratings_id_fk" FOREIGN KEY ("rating_id") REFERENCES "public"."ratings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rating_callbacks_rating_idx" ON "rating_callbacks" USING btree ("rating_id");--> statement-breakpoint
CREATE INDEX "ratings_org_path_idx" ON "ratings" USING btree ("org_path" text_pattern_ops,"rated_at");--> statement-breakpoint
CREATE INDEX "ratings_account_idx" ON "ratings" USING btree ("account_id","rated_at");--> statement-breakpoint
CREATE INDEX "rectifications_due_idx" ON "rectifications" USING btree ("state","deadline");--> statement-breakpoint
CREATE INDEX "rectifications_org_path_idx" ON "rectifications" USING btree ("org_path" text_pattern_ops,"state");