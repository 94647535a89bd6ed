DROP INDEX "inbox_messages_account_idx";--> statement-breakpoint
ALTER TABLE "inbox_messages" ADD COLUMN "seq" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "inbox_messages_account_idx" ON "inbox_messages" USING btree ("account_id","seq" DESC NULLS LAST);