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
