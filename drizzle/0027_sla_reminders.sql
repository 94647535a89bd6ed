CREATE TABLE "sla_reminder_reads" (
	"escalation_id" bigint NOT NULL,
	"account_id" uuid NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sla_reminder_reads_account_id_escalation_id_pk" PRIMARY KEY("account_id","escalation_id")
);
--> statement-breakpoint
ALTER TABLE "sla_reminder_reads" ADD CONSTRAINT "sla_reminder_reads_escalation_id_case_escalations_id_fk" FOREIGN KEY ("escalation_id") REFERENCES "public"."case_escalations"("id") ON DELETE no action ON UPDATE no action;