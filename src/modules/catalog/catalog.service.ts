import { and, asc, eq, ilike, or, sql } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { serviceItems, type Channel, type FormField } from './catalog.tables.ts';
import type { ServiceItemDef } from './service-item-def.ts';
import { crossFieldProblems, earliestFutureDate } from './form-checks.ts';
import { addWorkingDays, chinaDate, type DueDate } from './working-days.ts';
import { message, type Bilingual } from '../../core/messages.ts';

export type ServiceItem = ServiceItemDef & { active: boolean };

export interface CatalogService {
  listItems(filter: { q?: string; category?: string }): Promise<ServiceItem[]>;
  getItem(code: string): Promise<ServiceItem | null>;
  requireItem(code: string): Promise<ServiceItem>;
  /** The promised due date of a case submitted at `submittedAt`. */
  dueDateFor(item: ServiceItem, submittedAt: Date): DueDate;
  /** Checks an application form against the item's fields: returns the cleaned form or throws VALIDATION_FAILED. */
  /** `partial`: a draft may leave required fields empty; what is there must still be valid. */
  validateForm(item: ServiceItem, form: Record<string, unknown>, options?: { partial?: boolean }): Record<string, string>;
  /** Refuses channels the item does not offer. */
  assertChannel(item: ServiceItem, channel: Channel): void;
  /** How a form value reads: the Chinese label of a select option, or the value itself. */
  optionLabel(serviceCode: string, field: string, value: string): Promise<string>;
}

/** No date in a form (a birth, a residence) lies before this. */
export const EARLIEST_FORM_DATE = '1900-01-01';
const FUTURE_YEARS = 10;

export function createCatalogService(deps: { db: Db; clock?: () => Date }): CatalogService {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const cache = new Map<string, { item: ServiceItem | null; at: number }>();
  const CACHE_MS = 30_000;

  const service: CatalogService = {
    async listItems({ q, category }) {
      const conditions = [eq(serviceItems.active, true)];
      if (category) conditions.push(eq(serviceItems.category, category));
      if (q) {
        const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conditions.push(or(ilike(serviceItems.nameZh, pattern), ilike(serviceItems.nameEn, pattern), ilike(serviceItems.code, pattern))!);
      }
      const rows = await db
        .select()
        .from(serviceItems)
        .where(and(...conditions))
        .orderBy(asc(serviceItems.category), asc(serviceItems.code));
      return rows.map(toItem);
    },

    async getItem(code) {
      const hit = cache.get(code);
      if (hit && Date.now() - hit.at < CACHE_MS) return hit.item;
      const [row] = await db.select().from(serviceItems).where(eq(serviceItems.code, code));
      const item = row ? toItem(row) : null;
      cache.set(code, { item, at: Date.now() });
      return item;
    },

    async requireItem(code) {
      const item = await service.getItem(code);
      if (!item || !item.active) throw notFound('service');
      return item;
    },

    dueDateFor(item, submittedAt) {
      return addWorkingDays(chinaDate(submittedAt), item.timeLimitDays);
    },

    validateForm(item, form, options = {}) {
      const problems: Bilingual[] = [];
      const clean: Record<string, string> = {};
      const known = new Set(item.formFields.map((f) => f.name));
      for (const key of Object.keys(form)) {
        if (!known.has(key)) problems.push(message('catalog.form.unknownField', { field: key }));
      }
      for (const field of item.formFields) {
        const raw = form[field.name];
        const label = { zh: field.labelZh, en: field.labelEn };
        if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
          if (field.required && !options.partial) problems.push(message('catalog.form.required', { label }));
          continue;
        }
        if (typeof raw !== 'string') {
          problems.push(message('catalog.form.notText', { label }));
          continue;
        }
        const value = raw.trim();
        const max = field.maxLength ?? 500;
        if ([...value].length > max) {
          problems.push(message('catalog.form.tooLong', { label, max }));
        } else if (field.type === 'date' && !isRealDate(value)) {
          problems.push(message('catalog.form.badDate', { label }));
        } else if (field.type === 'date' && dateProblem(field, value, chinaDate(clock()))) {
          problems.push(dateProblem(field, value, chinaDate(clock()))!);
        } else if (field.type === 'select' && !field.options?.some((o) => o.value === value)) {
          problems.push(message('catalog.form.badOption', { label }));
        } else {
          clean[field.name] = value;
        }
      }
      problems.push(...crossFieldProblems(item.formFields, clean, chinaDate(clock())));
      if (problems.length > 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          { detail: { zh: problems.map((p) => p.zh).join('；'), en: problems.map((p) => p.en).join('; ') } },
          problems,
        );
      }
      return clean;
    },

    assertChannel(item, channel) {
      if (!item.channels.includes(channel)) throw new AppError('SERVICE_NOT_AVAILABLE');
    },

    async optionLabel(serviceCode, field, value) {
      const item = await service.getItem(serviceCode);
      const option = item?.formFields.find((f) => f.name === field)?.options?.find((o) => o.value === value);
      return option?.labelZh ?? value;
    },
  };
  caches.set(service, cache);
  return service;
}

/**
 * What the seed, the demo, tests and benchmarks do without a caller: publishing service items.
 * Kept off the catalog service, so the routes (which get only that service) cannot reach it; it
 * clears the service's item cache after each write.
 */
export interface CatalogAdmin {
  upsertItems(items: ServiceItemDef[]): Promise<number>;
}

/** Each catalog service's item cache, for the admin built beside it (createCatalogAdmin). */
const caches = new WeakMap<CatalogService, Map<string, unknown>>();

/** The catalog admin of a catalog service (the composition root builds it beside the service). */
export function createCatalogAdmin(deps: { db: Db; catalog: CatalogService }): CatalogAdmin {
  const { db } = deps;
  const cache = caches.get(deps.catalog);
  if (!cache) throw new Error('createCatalogAdmin: not a catalog service built by createCatalogService');
  return {
    async upsertItems(items) {
      if (items.length === 0) return 0;
      await db
        .insert(serviceItems)
        .values(items.map((i) => ({ ...i, legalLimitDays: i.legalLimitDays ?? null })))
        .onConflictDoUpdate({
          target: serviceItems.code,
          set: {
            nameZh: sql`excluded.name_zh`,
            nameEn: sql`excluded.name_en`,
            category: sql`excluded.category`,
            handlerLevel: sql`excluded.handler_level`,
            departmentKind: sql`excluded.department_kind`,
            materials: sql`excluded.materials`,
            formFields: sql`excluded.form_fields`,
            timeLimitDays: sql`excluded.time_limit_days`,
            legalLimitDays: sql`excluded.legal_limit_days`,
            channels: sql`excluded.channels`,
            feeCents: sql`excluded.fee_cents`,
            online: sql`excluded.online`,
            certificateType: sql`excluded.certificate_type`,
            instantRule: sql`excluded.instant_rule`,
          },
        });
      cache.clear();
      return items.length;
    },
  };
}

/** A real date outside the field's range: in the future for a date that has happened, or absurdly far back or ahead. */
function dateProblem(field: FormField, value: string, today: string): Bilingual | null {
  const label = { zh: field.labelZh, en: field.labelEn };
  if (field.future) {
    const latest = `${Number(today.slice(0, 4)) + FUTURE_YEARS}${today.slice(4)}`;
    const earliest = earliestFutureDate(field, today);
    if (value < earliest || value > latest) {
      if (earliest !== today) {
        return {
          zh: `“${field.labelZh}”应在 ${earliest} 至 ${latest} 之间`,
          en: `${field.labelEn} must be between ${earliest} and ${latest}`,
        };
      }
      return message('catalog.form.dateOutsideWindow', { label, today, latest });
    }
    return null;
  }
  if (value > today) return message('catalog.form.dateAfterToday', { label, today });
  if (value < EARLIEST_FORM_DATE) {
    return message('catalog.form.dateTooEarly', { label, earliest: EARLIEST_FORM_DATE });
  }
  return null;
}

function isRealDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function toItem(row: typeof serviceItems.$inferSelect): ServiceItem {
  return {
    code: row.code,
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    category: row.category,
    handlerLevel: row.handlerLevel,
    departmentKind: row.departmentKind,
    materials: row.materials,
    formFields: row.formFields,
    timeLimitDays: row.timeLimitDays,
    legalLimitDays: row.legalLimitDays,
    channels: row.channels,
    feeCents: row.feeCents,
    online: row.online,
    certificateType: row.certificateType,
    instantRule: row.instantRule,
    active: row.active,
  };
}
