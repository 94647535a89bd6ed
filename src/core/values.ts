/** Small value checks and conversions shared by every module. */

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that are not UUIDs cannot name a row: services answer them with a 404 without asking the database. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The calendar date in China (UTC+8, no daylight saving) of an instant, YYYY-MM-DD. */
export function chinaDate(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * True when `text` holds what PostgreSQL refuses or a screen misprints: a C0 control character
 * (NUL above all), DEL, or a lone UTF-16 surrogate. `freeText` (an address, a reason) allows tab,
 * line feed, carriage return and DEL.
 */
export function hasUnsafeText(text: string, options: { freeText?: boolean } = {}): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) {
      if (options.freeText && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
      return true;
    }
    if (c === 0x7f && !options.freeText) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}
