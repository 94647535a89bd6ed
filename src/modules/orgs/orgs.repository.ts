import { and, asc, desc, eq, gt, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { orgs, type DepartmentKind, type OrgLevel } from './orgs.tables.ts';

export type OrgRow = typeof orgs.$inferSelect;
export type NewOrgRow = Omit<typeof orgs.$inferInsert, 'createdAt'>;

export async function findOrg(db: Executor, code: string): Promise<OrgRow | undefined> {
  const [row] = await db.select().from(orgs).where(eq(orgs.code, code)).limit(1);
  return row;
}

export async function findOrgs(db: Executor, codes: readonly string[]): Promise<OrgRow[]> {
  if (codes.length === 0) return [];
  return db
    .select()
    .from(orgs)
    .where(inArray(orgs.code, [...codes]))
    .orderBy(asc(orgs.code));
}

/** One page of children in code order, starting after `after`; asks for one extra row so the caller can tell if more follow. */
export async function findChildren(
  db: Executor,
  parentCode: string,
  page: { after?: string | undefined; limit: number },
): Promise<OrgRow[]> {
  const conditions = [eq(orgs.parentCode, parentCode)];
  if (page.after !== undefined) conditions.push(gt(orgs.code, page.after));
  return db
    .select()
    .from(orgs)
    .where(and(...conditions))
    .orderBy(asc(orgs.code))
    .limit(page.limit + 1);
}

/** The orgs named by a path ('13.1301.130123'), root first. */
export async function findAlongPath(db: Executor, path: string): Promise<OrgRow[]> {
  const rows = await findOrgs(db, path.split('.'));
  return rows.sort((a, b) => a.depth - b.depth);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface NameSearch {
  q: string;
  level?: OrgLevel | undefined;
  /** Only this org and what lies below it. */
  underPath?: string | undefined;
  limit: number;
}

/** Orgs whose name contains `q` (or whose code starts with it): exact names first, then prefixes, then higher levels. */
export async function searchByName(db: Executor, search: NameSearch): Promise<OrgRow[]> {
  const q = escapeLike(search.q);
  const conditions: SQL[] = [or(like(orgs.name, `%${q}%`), like(orgs.code, `${q}%`))!];
  if (search.level) conditions.push(eq(orgs.level, search.level));
  if (search.underPath !== undefined) {
    conditions.push(or(eq(orgs.path, search.underPath), like(orgs.path, `${escapeLike(search.underPath)}.%`))!);
  }
  return db
    .select()
    .from(orgs)
    .where(and(...conditions))
    .orderBy(desc(sql`${orgs.name} = ${search.q}`), desc(sql`${orgs.name} like ${`${q}%`}`), asc(orgs.depth), asc(orgs.code))
    .limit(search.limit);
}

/** The department of `kind` hanging directly under the deepest of `divisionCodes`. */
export async function findNearestDepartment(
  db: Executor,
  kind: DepartmentKind,
  divisions: readonly { code: string; statisticalCode: string }[],
): Promise<OrgRow | undefined> {
  if (divisions.length === 0) return undefined;
  const [row] = await db
    .select()
    .from(orgs)
    .where(
      and(
        eq(orgs.departmentKind, kind),
        inArray(
          orgs.divisionCode,
          divisions.map((d) => d.statisticalCode),
        ),
        inArray(
          orgs.parentCode,
          divisions.map((d) => d.code),
        ),
      ),
    )
    .orderBy(desc(orgs.depth), asc(orgs.code))
    .limit(1);
  return row;
}

/** Inserts an org unless its code is taken; returns the new row, or undefined when it already existed. */
export async function insertOrgIfAbsent(db: Executor, row: NewOrgRow): Promise<OrgRow | undefined> {
  const [inserted] = await db.insert(orgs).values(row).onConflictDoNothing({ target: orgs.code }).returning();
  return inserted;
}

/** Division rows column by column, as the bulk upsert passes them: one array parameter per column. */
export interface DivisionColumns {
  code: string[];
  level: OrgLevel[];
  name: string[];
  parentCode: (string | null)[];
  path: string[];
  depth: number[];
  divisionCode: string[];
}

export function emptyDivisionColumns(): DivisionColumns {
  return { code: [], level: [], name: [], parentCode: [], path: [], depth: [], divisionCode: [] };
}

/**
 * Inserts or updates a batch of divisions in one statement. Rows that are already identical are
 * left alone (no new row version), so a reload writes nothing. Works the same on PGlite and
 * node-postgres: each column travels as one array parameter.
 */
export async function upsertDivisions(db: Executor, rows: DivisionColumns): Promise<{ inserted: number; updated: number }> {
  if (rows.code.length === 0) return { inserted: 0, updated: 0 };
  const result = await db.execute<{ inserted: number; written: number }>(sql`
    with written as (
      insert into orgs (code, level, name, parent_code, path, depth, division_code)
      select * from unnest(
        ${sql.param(rows.code)}::text[],
        ${sql.param(rows.level)}::text[],
        ${sql.param(rows.name)}::text[],
        ${sql.param(rows.parentCode)}::text[],
        ${sql.param(rows.path)}::text[],
        ${sql.param(rows.depth)}::int[],
        ${sql.param(rows.divisionCode)}::text[]
      )
      on conflict (code) do update set
        level = excluded.level,
        name = excluded.name,
        parent_code = excluded.parent_code,
        path = excluded.path,
        depth = excluded.depth,
        division_code = excluded.division_code
      where (orgs.level, orgs.name, orgs.parent_code, orgs.path, orgs.depth, orgs.division_code)
        is distinct from (excluded.level, excluded.name, excluded.parent_code, excluded.path, excluded.depth, excluded.division_code)
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, count(*)::int as written from written
  `);
  const counts = result.rows[0] ?? { inserted: 0, written: 0 };
  return { inserted: counts.inserted, updated: counts.written - counts.inserted };
}
