import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../core/errors.ts';
import { message, type MessageKey, type MessageParam, type MessageParams } from '../../core/messages.ts';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$' });

/** Where a field of the merged form comes from: a sharing dataset, fetched through one task's department, or the parent. */
export const FieldSource = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('dataset'),
      dataset: Code,
      field: Type.String({ minLength: 1 }),
      /** The task whose department requests the exchange (its grant and purpose apply). */
      via: Code,
      purpose: Code,
      /** `date`: the first 10 characters of an ISO timestamp. */
      transform: Type.Optional(Type.Literal('date')),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('typed') }, { additionalProperties: false }),
]);

export const BundleDefinitionSchema = Type.Object(
  {
    code: Code,
    nameZh: Type.String({ minLength: 1 }),
    nameEn: Type.String({ minLength: 1 }),
    tasks: Type.Array(
      Type.Object(
        {
          key: Code,
          /** The catalogue item (service code) the task's case is for. */
          item: Code,
          dependsOn: Type.Array(Code),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    /** The merged form: every field of the items, once. */
    fields: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), source: FieldSource }, { additionalProperties: false }), {
      minItems: 1,
    }),
    /** Instant-approval rules the departments set (即办规则): which tasks a rule may decide, and on what. */
    rules: Type.Array(
      Type.Object(
        {
          id: Code,
          departmentKind: Type.String({ minLength: 1 }),
          tasks: Type.Array(Code, { minItems: 1 }),
          when: Type.Literal('all_inputs_verified'),
          /** Typed fields the rule accepts anyway (a choice, not a fact to verify). */
          allowTyped: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'BundleDefinition', title: 'BundleDefinition' },
);

export type BundleDefinition = Static<typeof BundleDefinitionSchema>;
export type BundleTaskDef = BundleDefinition['tasks'][number];

/** What the loader needs to know of a catalogue item. */
export interface DefinitionItem {
  code: string;
  departmentKind: string | null;
  formFields: { name: string }[];
}

function invalid(key: MessageKey, params: MessageParams): AppError {
  return invalidAs(message(key, params));
}

/** The problem: a catalogue message, or the schema validator's own text (the same in both languages). */
function invalidAs(problem: MessageParam): AppError {
  return new AppError('VALIDATION_FAILED', { detail: message('bundles.definition.invalid', { problem }) });
}

/**
 * Checks a definition against its schema and the catalogue: known items, known dependencies,
 * no cycle, every item field in the merged form once, every dataset source fetched by a task of
 * the bundle. Returns the tasks in a dependency order.
 */
export function validateDefinition(
  raw: unknown,
  items: ReadonlyMap<string, DefinitionItem>,
): { definition: BundleDefinition; order: string[] } {
  if (!Value.Check(BundleDefinitionSchema, raw)) {
    const first = [...Value.Errors(BundleDefinitionSchema, raw)][0];
    throw invalidAs(`${first?.path ?? ''} ${first?.message ?? ''}`.trim());
  }
  const definition = raw;
  const c = definition.code;
  const keys = new Set<string>();
  for (const task of definition.tasks) {
    if (keys.has(task.key)) throw invalid('bundles.definition.duplicateTask', { code: c, task: task.key });
    keys.add(task.key);
    if (!items.has(task.item)) throw invalid('bundles.definition.unknownItem', { code: c, item: task.item });
  }
  for (const task of definition.tasks) {
    for (const dep of task.dependsOn) {
      if (!keys.has(dep)) throw invalid('bundles.definition.unknownDependency', { code: c, task: task.key, dep });
    }
  }
  const order = topologicalOrder(definition);
  const names = new Set<string>();
  for (const field of definition.fields) {
    if (names.has(field.name)) throw invalid('bundles.definition.duplicateField', { code: c, field: field.name });
    names.add(field.name);
    if (field.source.kind === 'dataset' && !keys.has(field.source.via)) {
      throw invalid('bundles.definition.unknownVia', { code: c, field: field.name, via: field.source.via });
    }
  }
  for (const task of definition.tasks) {
    for (const f of items.get(task.item)!.formFields) {
      if (!names.has(f.name)) throw invalid('bundles.definition.missingField', { code: c, field: f.name, item: task.item });
    }
  }
  for (const rule of definition.rules) {
    for (const t of rule.tasks) {
      const task = definition.tasks.find((x) => x.key === t);
      if (!task) throw invalid('bundles.definition.ruleUnknownTask', { code: c, rule: rule.id, task: t });
      if (items.get(task.item)!.departmentKind !== rule.departmentKind) {
        throw invalid('bundles.definition.ruleOtherDepartment', { code: c, rule: rule.id, task: t });
      }
    }
  }
  return { definition, order };
}

/** Kahn's algorithm; a cycle leaves tasks unplaced and is refused with their names. */
export function topologicalOrder(definition: Pick<BundleDefinition, 'code' | 'tasks'>): string[] {
  const pending = new Map(definition.tasks.map((t) => [t.key, new Set(t.dependsOn)]));
  const order: string[] = [];
  while (pending.size > 0) {
    const free = [...pending].filter(([, deps]) => deps.size === 0).map(([k]) => k);
    if (free.length === 0) {
      const stuck = [...pending.keys()].join(', ');
      throw invalid('bundles.definition.cycle', { code: definition.code, tasks: stuck });
    }
    for (const k of free) {
      order.push(k);
      pending.delete(k);
      for (const deps of pending.values()) deps.delete(k);
    }
  }
  return order;
}
