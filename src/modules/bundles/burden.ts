import { workingDaysBetween } from '../catalog/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import type { BurdenFigures } from './bundles.schemas.ts';

/** What burden figures need of a catalogue item. */
export interface BurdenItem {
  formFields: { name: string }[];
  materials: { code: string; required: boolean; proofFree: boolean }[];
  timeLimitDays: number;
  online: boolean;
}

export type { BurdenFigures } from './bundles.schemas.ts';

/**
 * Separate handling: one form per item with all its fields, every material of every item, and
 * the sum of the items' promised time limits. The bundle: one form, only the materials no
 * dataset or earlier output supplies (required and not proof-free, each once), and the
 * working days it actually took.
 */
export function burdenFigures(input: {
  definition: BundleDefinition;
  items: ReadonlyMap<string, BurdenItem>;
  prefilled: number;
  startedOn: string;
  /** The China date the last task completed, when all have. */
  finishedOn: string | null;
  outputs: string[];
}): BurdenFigures {
  const items = input.definition.tasks.map((t) => {
    const item = input.items.get(t.item);
    if (!item) throw new Error(`unknown item ${t.item}`);
    return item;
  });
  const parentMaterials = new Set(items.flatMap((i) => i.materials.filter((m) => m.required && !m.proofFree).map((m) => m.code)));
  return {
    forms: 1,
    formsSeparate: items.length,
    fieldsTotal: input.definition.fields.length,
    fieldsPrefilled: input.prefilled,
    fieldsSeparate: items.reduce((n, i) => n + i.formFields.length, 0),
    materialsSeparate: items.reduce((n, i) => n + i.materials.length, 0),
    materialsBundle: parentMaterials.size,
    daysSeparate: items.reduce((n, i) => n + i.timeLimitDays, 0),
    daysBundle: input.finishedOn === null ? null : workingDaysBetween(input.startedOn, input.finishedOn) + 1,
    trips: items.filter((i) => !i.online).length,
    outputs: input.outputs,
  };
}
