DROP INDEX "cases_applicant_idx";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "seq" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "staff_roles_path_idx" ON "staff_roles" USING btree ("org_path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "cases_applicant_idx" ON "cases" USING btree ("applicant_id","seq");--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_seq_unique" UNIQUE("seq");