import type { ServiceItem } from '../catalog/index.ts';
import type { DepartmentKind } from '../orgs/index.ts';
import type { DatasetView, GrantView } from '../sharing/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import { burdenFigures } from './burden.ts';
import type { BundlePreview, PreviewExchange, PreviewField, PreviewTask } from './bundles.schemas.ts';

type OrgRef = { code: string; name: string };

// The preview's shape is its response schema (bundles.schemas.ts): a field of the merged form as the
// parent sees it before starting (typed by them, or fetched and from where); each exchange the start
// will make, OOTS-style (whose data, which fields, who asks, for which case, why, under which legal
// basis, whether the law waives consent; `granted` false when no live grant covers it, so the start
// would be refused and the parent is told now); each task with the materials the parent still brings.
export type { BundlePreview, PreviewExchange, PreviewField, PreviewTask } from './bundles.schemas.ts';

export interface PreviewDeps {
  /** The department of a kind serving the parent's home village (the routing a submitted case gets). */
  departmentFor(kind: DepartmentKind): Promise<OrgRef | null>;
  datasets: readonly DatasetView[];
  /** The grants a consumer org received. */
  grantsOf(orgCode: string): Promise<readonly GrantView[]>;
  now: Date;
  today: string;
}

/** Builds the preview of one bundle for one parent. Reads only the catalogue, the routing and the grants: no personal data. */
export async function previewBundle(
  definition: BundleDefinition,
  items: ReadonlyMap<string, ServiceItem>,
  deps: PreviewDeps,
): Promise<BundlePreview> {
  const departments = new Map<string, OrgRef | null>();
  for (const task of definition.tasks) {
    const kind = items.get(task.item)?.departmentKind;
    if (kind && !departments.has(kind)) departments.set(kind, await deps.departmentFor(kind as DepartmentKind));
  }
  const taskItem = (key: string) => items.get(definition.tasks.find((t) => t.key === key)!.item)!;
  const departmentOf = (key: string) => departments.get(taskItem(key).departmentKind ?? '') ?? null;
  const datasetOf = (code: string) => deps.datasets.find((d) => d.code === code);

  const fields: PreviewField[] = definition.fields.map((f) => {
    const itemFields = definition.tasks.flatMap((t) => items.get(t.item)!.formFields.filter((x) => x.name === f.name));
    const first = itemFields[0];
    const dataset = f.source.kind === 'dataset' ? datasetOf(f.source.dataset) : undefined;
    return {
      name: f.name,
      labelZh: first?.labelZh ?? f.name,
      labelEn: first?.labelEn ?? f.name,
      type: first?.type ?? 'text',
      required: itemFields.some((x) => x.required),
      maxLength: first?.maxLength ?? null,
      source: f.source.kind,
      dataset: dataset
        ? { code: dataset.code, nameZh: dataset.nameZh, nameEn: dataset.nameEn }
        : f.source.kind === 'dataset'
          ? { code: f.source.dataset, nameZh: f.source.dataset, nameEn: f.source.dataset }
          : null,
      provider: dataset?.provider ?? null,
    };
  });

  // The same grouping the start uses: one exchange per (task, dataset, purpose).
  const groups = new Map<string, { via: string; dataset: string; purpose: string; fields: string[]; formFields: string[] }>();
  for (const f of definition.fields) {
    if (f.source.kind !== 'dataset') continue;
    const k = `${f.source.via}|${f.source.dataset}|${f.source.purpose}`;
    const g = groups.get(k) ?? { via: f.source.via, dataset: f.source.dataset, purpose: f.source.purpose, fields: [], formFields: [] };
    if (!g.fields.includes(f.source.field)) g.fields.push(f.source.field);
    g.formFields.push(f.name);
    groups.set(k, g);
  }
  const exchanges: PreviewExchange[] = [];
  for (const g of groups.values()) {
    const dataset = datasetOf(g.dataset);
    const consumer = departmentOf(g.via);
    const grants = consumer ? await deps.grantsOf(consumer.code) : [];
    const grant = grants.find(
      (x) =>
        x.datasetCode === g.dataset &&
        x.purpose === g.purpose &&
        x.revokedAt === null &&
        new Date(x.validUntil) > deps.now &&
        g.fields.every((f) => x.fields.includes(f)),
    );
    const item = taskItem(g.via);
    exchanges.push({
      dataset: { code: g.dataset, nameZh: dataset?.nameZh ?? g.dataset, nameEn: dataset?.nameEn ?? g.dataset },
      provider: dataset?.provider ?? { code: '', name: '' },
      consumer,
      fields: [...g.fields]
        .sort()
        .map((name) => dataset?.fields.find((x) => x.name === name) ?? { name, labelZh: name, labelEn: name, sensitivity: 'high' }),
      formFields: g.formFields,
      purpose: g.purpose,
      task: { key: g.via, serviceCode: item.code, name: { zh: item.nameZh, en: item.nameEn } },
      granted: grant !== undefined,
      legalBasis: grant?.legalBasis ?? null,
      // Without a grant nothing is fetched; say consent would be needed rather than that the law waives it.
      consentRequired: grant?.consentRequired ?? true,
      grantValidUntil: grant?.validUntil ?? null,
    });
  }

  const supplied = new Set<string>();
  const tasks: PreviewTask[] = definition.tasks.map((t) => {
    const item = items.get(t.item)!;
    const materials = item.materials.filter((m) => m.required && !m.proofFree && !supplied.has(m.code));
    for (const m of materials) supplied.add(m.code);
    return {
      key: t.key,
      serviceCode: item.code,
      name: { zh: item.nameZh, en: item.nameEn },
      department: departmentOf(t.key),
      dependsOn: t.dependsOn,
      timeLimitDays: item.timeLimitDays,
      materials: materials.map((m) => ({ code: m.code, nameZh: m.nameZh, nameEn: m.nameEn })),
    };
  });

  return {
    bundle: { code: definition.code, nameZh: definition.nameZh, nameEn: definition.nameEn },
    fields,
    exchanges,
    tasks,
    burden: burdenFigures({
      definition,
      items,
      prefilled: fields.filter((f) => f.source === 'dataset').length,
      startedOn: deps.today,
      finishedOn: null,
      outputs: [],
    }),
  };
}
