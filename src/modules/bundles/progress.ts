import { chinaDate } from '../catalog/working-days.ts';
import { certificatesOfCases } from '../certificates/certificates-of-cases.ts';
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
        reason = {
          zh: `${kase.orgName}不予通过：${decision?.reason ?? ''}。已办结的其他事项及其证照仍然有效；请按理由补正后单独申请，或联系该部门。`,
          en: `${kase.orgName} rejected it: ${decision?.reason ?? ''}. Completed items and their certificates stay valid; correct and apply separately, or contact the department.`,
        };
        break;
      case 'returned':
        state = 'returned';
        reason = { zh: `退回补正：${kase.returnReason ?? ''}`, en: `returned for correction: ${kase.returnReason ?? ''}` };
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
          reason = {
            zh: `等待的前置事项未通过：${names.map((x) => x.zh).join('、')}`,
            en: `waits on ${names.map((x) => x.en).join(', ')}, which did not go through`,
          };
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
