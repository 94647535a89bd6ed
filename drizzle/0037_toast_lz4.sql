-- The large JSON and text values written on every settlement and certificate (the window's
-- answers kept for idempotency, the settlement's result, a certificate's payload and
-- disclosures) compressed with lz4 rather than pglz where the server has it (PostgreSQL 14+ built
-- with lz4): several times less CPU to compress and to read back. New values only; the embedded
-- database (PGlite) has pglz alone and keeps it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    EXECUTE 'ALTER TABLE insurance_messages ALTER COLUMN response SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE insurance_settlements ALTER COLUMN result SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE insurance_settlements ALTER COLUMN list SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE certificates ALTER COLUMN payload SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE certificates ALTER COLUMN disclosures SET COMPRESSION lz4';
  END IF;
END
$$;
