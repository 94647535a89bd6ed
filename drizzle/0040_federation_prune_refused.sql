-- Bodies of messages refused for good (the resident's ID number and name) are pruned after the retention
-- like those applied or delivered: the prune's index covers them too.
DROP INDEX "federation_messages_prunable_idx";--> statement-breakpoint
CREATE INDEX "federation_messages_prunable_idx" ON "federation_messages" USING btree ("done_at") WHERE "federation_messages"."pruned_at" is null and "federation_messages"."status" in ('applied','delivered','refused');