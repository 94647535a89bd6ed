import { AppError } from '../../core/errors.ts';
import type { BatchDecisionResult } from '../applications/index.ts';
import type { ServiceItem } from '../catalog/index.ts';
import type { Principal } from '../identity/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import type * as repo from './bundles.repository.ts';
import type { BundleCase, Loaded } from './bundles-types.ts';
import { ruleReason, type BundlesContext } from './bundles-context.ts';

const OPEN_FOR_DECISION: readonly string[] = ['submitted', 'accepted', 'in_review'];

/** Moving a bundle on: ready drafts submitted, verified tasks decided by their department's rule. */
export function createAdvanceFunctions(ctx: BundlesContext) {
  const { applications, departmentActor, parentOf, active, loadCases } = ctx;

  function ruleFor(def: BundleDefinition, taskKey: string) {
    return def.rules.find((r) => r.tasks.includes(taskKey));
  }

  function inputsVerified(row: repo.BundleRow, item: ServiceItem, allowTyped: readonly string[]): boolean {
    return item.formFields.every((f) => {
      const value = row.form[f.name];
      return value === undefined || value === '' || row.provenance[f.name] !== undefined || allowTyped.includes(f.name);
    });
  }

  const ignorable = (error: unknown) =>
    error instanceof AppError && (error.code === 'INVALID_STATE' || error.code === 'ALREADY_DECIDED' || error.code === 'CONFLICT');

  /**
   * Moves the bundle on as far as it goes: submits each draft whose dependencies completed, and
   * lets the department's instant-approval rule decide each submitted task whose inputs are all
   * verified — the tasks one rule decides at one department together, in one batch decision
   * (one transaction, their certificates issued together). Every step is guarded by the case's
   * state, so a second run (or a concurrent one) does nothing twice.
   *
   * The cases are read once before and once after: a task a rule completes lets its dependants
   * be submitted and decided in the same pass, from the states the steps return. The read after
   * is the progress the parent sees; only when it shows something that could still move (another
   * process changed a case meanwhile) does a further pass run.
   */
  async function advance(row: repo.BundleRow, def: Loaded): Promise<Map<string, BundleCase>> {
    const parent = parentOf(row.applicantId);
    let cases = await loadCases(row);
    for (let round = 0; round <= def.order.length * 2; round++) {
      if (!(await advancePass(row, def, parent, cases))) return cases;
      cases = await loadCases(row);
      if (!canMove(row, def, cases)) return cases;
    }
    return cases;
  }

  /** What a pass would do with these states: submit a ready draft or let a rule decide a task. */
  function ready(row: repo.BundleRow, def: Loaded, states: Map<string, string>) {
    const submit: string[] = [];
    const decide: string[] = [];
    for (const key of def.order) {
      const task = def.definition.tasks.find((t) => t.key === key)!;
      const state = states.get(key);
      if (state === 'draft' && task.dependsOn.every((d) => states.get(d) === 'completed')) submit.push(key);
      else if (state !== undefined && OPEN_FOR_DECISION.includes(state)) {
        const rule = ruleFor(def.definition, key);
        if (rule && inputsVerified(row, def.items.get(task.item)!, rule.allowTyped ?? [])) decide.push(key);
      }
    }
    return { submit, decide };
  }

  function canMove(row: repo.BundleRow, def: Loaded, cases: Map<string, BundleCase>): boolean {
    const { submit, decide } = ready(row, def, new Map([...cases].map(([key, c]) => [key, c.state])));
    return submit.length > 0 || decide.length > 0;
  }

  /** One pass in dependency order; true when a step moved a case. Each step is tried once a pass. */
  async function advancePass(row: repo.BundleRow, def: Loaded, parent: Principal, cases: Map<string, BundleCase>): Promise<boolean> {
    const states = new Map<string, string>([...cases].map(([key, c]) => [key, c.state]));
    const tried = new Set<string>();
    let moved = false;
    for (;;) {
      const { submit, decide } = ready(row, def, states);
      const toSubmit = submit.filter((k) => !tried.has(`submit|${k}`));
      const toDecide = decide.filter((k) => !tried.has(`decide|${k}`));
      if (toSubmit.length === 0 && toDecide.length === 0) return moved;
      for (const key of toSubmit) {
        tried.add(`submit|${key}`);
        const task = def.definition.tasks.find((t) => t.key === key)!;
        const item = def.items.get(task.item)!;
        const form = Object.fromEntries(
          item.formFields.filter((f) => row.form[f.name] !== undefined).map((f) => [f.name, row.form[f.name]!]),
        );
        try {
          states.set(key, (await applications.applicantAction(parent, cases.get(key)!.id, 'submit', form)).state);
          moved = true;
        } catch (error) {
          if (!ignorable(error)) throw error;
        }
      }
      if (toSubmit.length > 0) continue; // a submitted task may now be decided with the others of its rule
      // The tasks of one rule at one department: one batch decision for all of them (for one task
      // too: the batch path issues with fewer statements than a single approval).
      const groups = new Map<string, { ruleId: string; orgCode: string; keys: string[] }>();
      for (const key of toDecide) {
        tried.add(`decide|${key}`);
        const ruleId = ruleFor(def.definition, key)!.id;
        const orgCode = cases.get(key)!.orgCode;
        const g = groups.get(`${ruleId}|${orgCode}`) ?? { ruleId, orgCode, keys: [] };
        g.keys.push(key);
        groups.set(`${ruleId}|${orgCode}`, g);
      }
      for (const g of groups.values()) {
        const actor = await departmentActor(g.orgCode, `rule:${g.ruleId}`, ['case.view', 'case.handle']);
        const ids = g.keys.map((k) => cases.get(k)!.id);
        const results = await applications.decideMany(actor, { ids, decision: 'approve', reason: ruleReason(g.ruleId) });
        const byId = new Map<string, BatchDecisionResult>(results.map((r) => [r.id, r]));
        for (const key of g.keys) {
          const r = byId.get(cases.get(key)!.id)!;
          if (r.outcome === 'approved') {
            states.set(key, r.state ?? 'approved');
            moved = true;
          } else if (r.outcome !== 'conflict' || !ignorable(r.error)) throw r.error ?? new AppError('INTERNAL');
        }
      }
    }
  }

  async function advanceTracked(row: repo.BundleRow, def: Loaded): Promise<Map<string, BundleCase>> {
    active.add(row.id);
    try {
      return await advance(row, def);
    } finally {
      active.delete(row.id);
    }
  }
  return { advanceTracked };
}
