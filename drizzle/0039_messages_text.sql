-- The window's kept answers (insurance_messages.response) as the JSON text that was signed and
-- sent, not jsonb: they are only read back whole (a retried msgid), and parsing each answer into
-- jsonb was the largest single cost of the window's writes in PostgreSQL. The lz4 compression of
-- 0037_toast_lz4 is set again where the server has it (the column is rewritten).
ALTER TABLE "insurance_messages" ALTER COLUMN "response" SET DATA TYPE text USING "response"::text;--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    EXECUTE 'ALTER TABLE insurance_messages ALTER COLUMN response SET COMPRESSION lz4';
  END IF;
END
$$;
