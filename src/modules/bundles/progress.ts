import { message } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import { certificatesOfCases } from '../certificates/index.ts';
import type * as repo from './bundles.repository.ts';
import { burdenFigures } from './burden.ts';
import type { BundleCase, BundleProgress, Loaded, TaskProgress, TaskState, WaitingFor } from './bundles-types.ts';
import { RULE_REASON, type BundlesContext } from './bundles-context.ts';

/** The parent's view of a bundle: each task's state and reason, the form and its sources, the burden figures. */
export async function progressOf(
  ctx: BundlesContext,
  row: repo.BundleRow,
  def: Loaded,
  cases: Map<string, BundleCase>,
  waitingFor: WaitingFor[] = [],
): Promise<BundleProgress> {
  const { db } = ctx;
  const completed = [...cases.values()].filter((c) => c.state === 'completed').map((c) => c.id);
  const outputs = await certificatesOfCases(db, row.applicantId, completed);
  const tasks: TaskProgress[] = [];
  const byKey = new Map<string, TaskProgress>();
  for (const key of def.order) {
    const task = def.definition.tasks.find((t) => t.key === key)!;
    const item = def.items.get(task.item)!;
    const kase = cases.get(key);
    const decision = kase?.decision;
    const ruleId = decision?.reason ? RULE_REASON.exec(decision.reason)?.[1] : undefined;
    let state: TaskState = 'waiting';
    let reason: TaskProgress['reason'] = null;
    let output: TaskProgress['output'] = null;
    switch (kase?.state) {
      case 'completed': {
        state = 'done';
        output = outputs.get(kase.id) ?? null;
        break;
      }
      case 'rejected':
        state = 'rejected';
        reason = message('bundles.task.rejected', { org: kase.orgName, reason: decision?.reason ?? '' });
        break;
      case 'returned':
        state = 'returned';
        reason = message('bundles.task.returned', { reason: kase.returnReason ?? '' });
        break;
      case 'submitted':
      case 'accepted':
      case 'in_review':
      case 'approved':
        state = 'in_progress';
        break;
      case 'draft':
      case undefined: {
        const waiting = waitingFor.find((w) => w.task === key);
        if (waiting) reason = waiting.message;
        const stopped = task.dependsOn.map((d) => byKey.get(d)).filter((d) => d && (d.state === 'rejected' || d.state === 'blocked'));
        if (stopped.length > 0) {
          state = 'blocked';
          const names = stopped.map((d) => d!.name);
          reason = message('bundles.task.blocked', {
            tasks: { zh: names.map((x) => x.zh).join('、'), en: names.map((x) => x.en).join(', ') },
          });
        }
      }
    }
    const progress: TaskProgress = {
      key,
      serviceCode: task.item,
      name: { zh: item.nameZh, en: item.nameEn },
      dependsOn: task.dependsOn,
      state,
      caseId: kase?.id ?? null,
      caseNo: kase?.caseNo ?? null,
      department: kase ? { code: kase.orgCode, name: kase.orgName } : null,
      timeLimitDays: item.timeLimitDays,
      dueDate: kase?.dueDate ?? null,
      decidedBy: decision ? (ruleId ? `rule:${ruleId}` : 'officer') : null,
      reason,
      output,
    };
    byKey.set(key, progress);
    tasks.push(progress);
  }
  const done = tasks.every((t) => t.state === 'done');
  const lastCompleted = done
    ? [...cases.values()]
        .map((c) => c.completedAt ?? '')
        .sort()
        .at(-1)
    : undefined;
  const burden = burdenFigures({
    definition: def.definition,
    items: def.items,
    prefilled: Object.keys(row.provenance).length,
    startedOn: chinaDate(row.createdAt),
    finishedOn: lastCompleted ? chinaDate(new Date(lastCompleted)) : null,
    outputs: tasks.flatMap((t) => (t.output ? [t.output.identifier] : [])),
  });
  return {
    id: row.id,
    bundle: { code: def.definition.code, nameZh: def.definition.nameZh, nameEn: def.definition.nameEn },
    state: done
      ? 'done'
      : tasks.some((t) => t.state === 'rejected' || t.state === 'blocked' || t.state === 'returned')
        ? 'needs_attention'
        : 'open',
    createdAt: row.createdAt.toISOString(),
    form: def.definition.fields.map((f) => ({
      name: f.name,
      value: row.form[f.name] ?? null,
      prefilled: row.provenance[f.name] !== undefined,
      dataset: row.provenance[f.name]?.dataset ?? null,
    })),
    tasks,
    waitingFor,
    burden,
  };
}
