/** The SQLSTATE of a database error, looking through drizzle's wrapper (the same on PGlite and PostgreSQL). */
function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A unique constraint refused the write (a concurrent writer took the key first). */
export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505';
}
