import type { FormField, PrefillSource } from './catalog.tables.ts';

/** Where one prefilled value came from. */
export type PrefillProvenance = PrefillSource;

/**
 * 免填单 for a single item: which dataset fields its form is prefilled from, by dataset (one
 * exchange each under the item's grant), and which fields come from the applicant's account.
 */
export function prefillPlan(item: { formFields: readonly FormField[] }): {
  datasets: Map<string, { fields: string[]; formFields: string[] }>;
  account: { formField: string; account: 'phone' }[];
} {
  const datasets = new Map<string, { fields: string[]; formFields: string[] }>();
  const account: { formField: string; account: 'phone' }[] = [];
  for (const f of item.formFields) {
    const source = f.prefill;
    if (!source) continue;
    if ('account' in source) {
      account.push({ formField: f.name, account: source.account });
      continue;
    }
    const entry = datasets.get(source.dataset) ?? { fields: [], formFields: [] };
    if (!entry.fields.includes(source.field)) entry.fields.push(source.field);
    entry.formFields.push(f.name);
    datasets.set(source.dataset, entry);
  }
  return { datasets, account };
}

/**
 * The prefilled form: each field with a source takes the value the dataset record (or the
 * account) holds, with where it came from; fields the data does not know stay for the resident
 * to fill in. What the resident typed already (`typed`) is kept: they confirm or correct.
 */
export function prefillForm(
  item: { formFields: readonly FormField[] },
  sources: {
    records: Readonly<Record<string, Readonly<Record<string, string>> | null | undefined>>;
    account?: { phone?: string | null };
    typed?: Readonly<Record<string, string>>;
  },
): { form: Record<string, string>; provenance: Record<string, PrefillProvenance> } {
  const form: Record<string, string> = {};
  const provenance: Record<string, PrefillProvenance> = {};
  for (const f of item.formFields) {
    const typed = sources.typed?.[f.name];
    if (typed !== undefined && typed !== '') {
      form[f.name] = typed;
      continue;
    }
    const source = f.prefill;
    if (!source) continue;
    const value = 'account' in source ? sources.account?.[source.account] : sources.records[source.dataset]?.[source.field];
    if (value === undefined || value === null || value === '') continue;
    form[f.name] = value;
    provenance[f.name] = source;
  }
  return { form, provenance };
}
