CREATE TABLE "insurance_remote_intents" (
	"call_id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"institution_code" text NOT NULL,
	"msgid" text NOT NULL,
	"request_digest" text NOT NULL,
	"mdtrt_id" text NOT NULL,
	"region" text NOT NULL,
	"state" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "insurance_remote_intents_state_check" CHECK ("insurance_remote_intents"."state" in ('pending','settled','abandoning','abandoned')),
	CONSTRAINT "insurance_remote_intents_kind_check" CHECK ("insurance_remote_intents"."kind" in ('settle'))
);
--> statement-breakpoint
CREATE INDEX "insurance_remote_intents_open" ON "insurance_remote_intents" USING btree ("updated_at") WHERE "insurance_remote_intents"."state" in ('pending','abandoning');