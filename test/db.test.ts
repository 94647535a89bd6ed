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

describe.each(testEngines())('large values on %s', (engine) => {
  it('are compressed with lz4 where the server has it (the window answers, settlements, certificates), pglz otherwise', async () => {
    const database = await createTestDatabase(engine);
    try {
      const lz4 = await database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)`,
      );
      const { rows } = await database.db.execute<{ col: string; c: string }>(sql`
        select attrelid::regclass::text || '.' || attname as col, attcompression::text as c from pg_attribute
        where (attrelid, attname) in (('insurance_messages'::regclass, 'response'), ('insurance_settlements'::regclass, 'result'),
          ('insurance_settlements'::regclass, 'list'), ('certificates'::regclass, 'payload'), ('certificates'::regclass, 'disclosures'))
        order by 1`);
      expect(rows.map((r) => r.col)).toEqual([
        'certificates.disclosures',
        'certificates.payload',
        'insurance_messages.response',
        'insurance_settlements.list',
        'insurance_settlements.result',
      ]);
      // 'l' is lz4; an empty mark is the server's default (pglz).
      expect(new Set(rows.map((r) => r.c))).toEqual(new Set([lz4.rows[0]!.n === 1 ? 'l' : '']));
    } finally {
      await database.close();
    }
  });
});
