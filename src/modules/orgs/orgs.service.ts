import { encodeCursor, decodeCursor } from '../../core/cursor.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { can, type Principal } from '../identity/index.ts';
import { validateCreditCode } from './credit-code.ts';
import { ensureDemoDepartments } from './demo-departments.ts';
import { createOrgCache, type OrgCache } from './org-cache.ts';
import { loadDivisions, type LoadDivisionsOptions, type LoadDivisionsResult } from './division-loader.ts';
import { bundledDivisionCodes, levelOfDivisionCode } from './division-source.ts';
import {
  findAlongPath,
  findChildren,
  findNearestDepartment,
  findOrg,
  insertOrgIfAbsent,
  searchByName,
  type OrgRow,
} from './orgs.repository.ts';
import { DEPARTMENT_KINDS } from './orgs.schemas.ts';
import type { DepartmentKind, OrgLevel } from './orgs.tables.ts';
import { message } from '../../core/messages.ts';

export type { OrgDto } from './orgs.schemas.ts';
export { ensureDemoDepartments, DEMO_DEPARTMENT_CODES } from './demo-departments.ts';
export type { DivisionScope, LoadDivisionsOptions, LoadDivisionsResult } from './division-loader.ts';

/** A division (province … village) or a department attached to one. */
export type Org = OrgRow;

export interface Page<T> {
  items: T[];
  /** Cursor for the next page, or null on the last one. */
  next: string | null;
}

export interface SearchOrgsQuery {
  q: string;
  level?: OrgLevel | undefined;
  /** Code of an org; only it and what lies below it are searched. */
  under?: string | undefined;
  limit?: number | undefined;
}

export interface CreateDepartmentInput {
  name: string;
  kind: DepartmentKind;
  creditCode: string;
  /** The division (province to township) the department belongs to. */
  parentCode: string;
}

export interface OrgsService {
  getOrg(code: string): Promise<Org | null>;
  /**
   * getOrg through a per-process cache (org-cache.ts: a minute at most, cleared by this process's
   * division reload): for hot paths that show or route by orgs, e.g. the data exchange's names.
   */
  byCode(code: string): Promise<Org | null>;
  /** The org's name, through the same cache; null when there is no such org. */
  nameOf(code: string): Promise<string | null>;
  /** Throws NOT_FOUND {what:'org'} when absent. */
  requireOrg(code: string): Promise<Org>;
  /** The chain from the province down to the org itself. */
  getAncestors(code: string): Promise<Org[]>;
  listChildren(code: string, page: { after?: string | undefined; limit?: number | undefined }): Promise<Page<Org>>;
  searchOrgs(query: SearchOrgsQuery): Promise<Org[]>;
  /** The department of `kind` at the division or at its nearest ancestor that has one; null when none. */
  findDepartment(kind: DepartmentKind, divisionCode: string): Promise<Org | null>;
  createDepartment(principal: Principal, input: CreateDepartmentInput): Promise<Org>;
  /** Whether a division code is in today's list: the table, or (for province/city/county codes) the bundled list. */
  divisionExists(code: string): Promise<boolean>;
}

/**
 * What the CLI, the seed, the demo and tests do without a caller: loading the division tree and
 * the demo departments. Kept off the orgs service, so the routes (which get only that service)
 * cannot reach it; it clears the service's org cache after each load.
 */
export interface OrgsAdmin {
  loadDivisions(options: LoadDivisionsOptions): Promise<LoadDivisionsResult>;
  /** The demo departments of 正定县 (loading 正定县's divisions first if needed). */
  ensureDemoDepartments(): Promise<Org[]>;
}

/** Each orgs service's cache, for the admin built beside it (createOrgsAdmin). */
const caches = new WeakMap<OrgsService, OrgCache>();

const PAGE_DEFAULT = 50;
const PAGE_MAX = 200;
const SEARCH_DEFAULT = 20;
const SEARCH_MAX = 100;

export function createOrgsService(deps: { db: Db }): OrgsService {
  const { db } = deps;
  const cache = createOrgCache((code) => findOrg(db, code));

  const requireOrg = async (code: string): Promise<Org> => {
    const org = await findOrg(db, code);
    if (!org) throw notFound('org');
    return org;
  };

  /** A division by its own code or by its 12-digit statistical code ('130123000000' → 130123). */
  const resolveDivision = async (code: string): Promise<Org | undefined> => {
    const candidates = [code];
    if (/^\d{12}$/.test(code)) {
      for (const length of [9, 6, 4, 2]) if (/^0+$/.test(code.slice(length))) candidates.push(code.slice(0, length));
    }
    for (const candidate of candidates) {
      const org = await findOrg(db, candidate);
      if (org) return org.level === 'department' ? undefined : org;
    }
    return undefined;
  };

  const service: OrgsService = {
    async getOrg(code) {
      return (await findOrg(db, code)) ?? null;
    },

    byCode: (code) => cache.get(code),

    async nameOf(code) {
      return (await cache.get(code))?.name ?? null;
    },

    requireOrg,

    async getAncestors(code) {
      const org = await requireOrg(code);
      return findAlongPath(db, org.path);
    },

    async listChildren(code, page) {
      await requireOrg(code);
      const limit = clamp(page.limit ?? PAGE_DEFAULT, 1, PAGE_MAX);
      const after = page.after === undefined ? undefined : decodeCursor(page.after, 1)[0];
      if (after !== undefined && typeof after !== 'string') {
        throw new AppError('VALIDATION_FAILED', { detail: message('cursor.invalid') });
      }
      const rows = await findChildren(db, code, { after, limit });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, next: rows.length > limit && last ? encodeCursor([last.code]) : null };
    },

    async searchOrgs(query) {
      const q = query.q.trim();
      if (q === '') throw new AppError('VALIDATION_FAILED', { detail: message('orgs.searchEmpty') });
      const underPath = query.under === undefined ? undefined : (await requireOrg(query.under)).path;
      return searchByName(db, { q, level: query.level, underPath, limit: clamp(query.limit ?? SEARCH_DEFAULT, 1, SEARCH_MAX) });
    },

    async findDepartment(kind, divisionCode) {
      const division = await resolveDivision(divisionCode);
      if (!division) return null;
      const chain = await findAlongPath(db, division.path);
      const divisions = chain.map((d) => ({ code: d.code, statisticalCode: d.divisionCode }));
      return (await findNearestDepartment(db, kind, divisions)) ?? null;
    },

    async createDepartment(principal, input) {
      const checked = validateCreditCode(input.creditCode);
      if (!checked.ok) throw new AppError('INVALID_CREDIT_CODE', { reason: message(`orgs.creditCode.${checked.problem}`) });
      const name = input.name.trim();
      if (name === '' || name.length > 100) {
        throw new AppError('VALIDATION_FAILED', { detail: message('orgs.department.name') });
      }
      if (!DEPARTMENT_KINDS.includes(input.kind)) {
        throw new AppError('VALIDATION_FAILED', { detail: message('orgs.department.kind') });
      }
      const parent = await requireOrg(input.parentCode);
      if (!can(principal, 'department.create', { orgPath: parent.path })) throw new AppError('FORBIDDEN');
      if (parent.level === 'village' || parent.level === 'department') {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('orgs.department.parent'),
        });
      }
      const created = await insertOrgIfAbsent(db, {
        code: checked.code,
        level: 'department',
        name,
        parentCode: parent.code,
        path: `${parent.path}.${checked.code}`,
        depth: parent.depth + 1,
        divisionCode: parent.divisionCode,
        departmentKind: input.kind,
      });
      if (!created) throw new AppError('ALREADY_EXISTS', { what: 'org' });
      return created;
    },

    async divisionExists(code) {
      const level = levelOfDivisionCode(code);
      if (!level) return false;
      if (await findOrg(db, code)) return true;
      // Before the tree is seeded, the bundled list (the loader's own source) still answers for the upper levels.
      if (level === 'province' || level === 'city' || level === 'county') return (await bundledDivisionCodes(level)).has(code);
      return false;
    },
  };
  caches.set(service, cache);
  return service;
}

/** The orgs admin of an orgs service (the composition root builds it beside the service). */
export function createOrgsAdmin(deps: { db: Db; orgs: OrgsService }): OrgsAdmin {
  const { db } = deps;
  const cache = caches.get(deps.orgs);
  if (!cache) throw new Error('createOrgsAdmin: not an orgs service built by createOrgsService');
  return {
    async loadDivisions(options) {
      try {
        return await loadDivisions(db, options);
      } finally {
        cache.clear();
      }
    },

    async ensureDemoDepartments() {
      try {
        return await ensureDemoDepartments(db);
      } finally {
        cache.clear(); // it may load divisions first
      }
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
