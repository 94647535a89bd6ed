import type { Bilingual } from '../../core/messages.ts';
import type { FormField } from './catalog.tables.ts';
import { countyOf, provinceOfPlace } from './divisions.ts';

/**
 * The checks of a form that look at a place or at another field (a county code that exists, a
 * destination in another province, an end not before its start, a past date only when allowed),
 * run on the values that passed the field-by-field checks. Each problem is said in plain words.
 * The sentences are here rather than in core/messages/catalogue.ts only because this change was
 * limited to the catalog module; they can move there as they are.
 */
export function crossFieldProblems(fields: readonly FormField[], clean: Readonly<Record<string, string>>, today: string): Bilingual[] {
  const problems: Bilingual[] = [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const labelOf = (name: string) => byName.get(name) ?? { labelZh: name, labelEn: name };
  for (const field of fields) {
    const value = clean[field.name];
    if (value === undefined) continue;
    if (field.division) {
      const county = countyOf(value);
      if (!county) {
        problems.push({
          zh: `${field.labelZh}“${value}”不是有效的县级行政区划代码（6位数字，如 450103 南宁市青秀区）`,
          en: `${field.labelEn} "${value}" is not a county-level division code (6 digits, e.g. 450103 for Qingxiu district, Nanning)`,
        });
        continue;
      }
      const otherName = field.division.otherProvinceThan;
      const other = otherName ? clean[otherName] : undefined;
      if (otherName && other !== undefined && provinceOfPlace(other) === county.provinceCode) {
        const o = labelOf(otherName);
        problems.push({
          zh: `${field.labelZh}${county.name}与${o.labelZh}同在${county.provinceName}：须为外省的地方`,
          en: `${field.labelEn} ${county.code} is in the same province as the ${o.labelEn.toLowerCase()} (${county.provinceCode}): it must be in another province`,
        });
      }
    }
    if (field.notBefore) {
      const start = clean[field.notBefore];
      if (start !== undefined && value < start) {
        const o = labelOf(field.notBefore);
        problems.push({
          zh: `${field.labelZh}（${value}）不能早于${o.labelZh}（${start}）`,
          en: `${field.labelEn} (${value}) cannot be before the ${o.labelEn.toLowerCase()} (${start})`,
        });
      }
    }
    if (field.pastOnlyIf && value < today) {
      const condition = clean[field.pastOnlyIf.field];
      if (condition === undefined || !field.pastOnlyIf.values.includes(condition)) {
        problems.push({ zh: field.pastOnlyIf.zh, en: field.pastOnlyIf.en });
      }
    }
  }
  return problems;
}

/** The earliest date a `future` field takes: today, or `pastDays` before it. */
export function earliestFutureDate(field: FormField, today: string): string {
  if (!field.pastDays) return today;
  return new Date(Date.parse(`${today}T00:00:00Z`) - field.pastDays * 86_400_000).toISOString().slice(0, 10);
}
