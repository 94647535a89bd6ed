import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from './db.ts';

describe.each(testEngines())('database on %s', (engine) => {
  it('applies the migrations and answers queries', async () => {
    const database = await createTestDatabase(engine);
    try {
      const result = await database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from information_schema.tables where table_name in ('orgs','cases','accounts')`,
      );
      expect(result.rows[0]?.n).toBe(3);
    } finally {
      await database.close();
    }
  });
});
