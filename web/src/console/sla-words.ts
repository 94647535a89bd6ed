/** How the console words the SLA clock's ladder steps (督办阶梯), in both languages. */
import type { Bilingual } from '../shared/api.ts';

const UP = ['', '上一级', '上两级', '上三级', '上四级'];
const UP_EN = ['', 'the org above', 'two levels up', 'three levels up', 'four levels up'];

/** When a step fires, counted from the due date in working days. */
export function whenText(offset: number): Bilingual {
  if (offset < 0) return { zh: `到期前 ${-offset} 个工作日`, en: `${-offset} working day(s) before the due date` };
  if (offset === 0) return { zh: '一超期即发', en: 'once overdue' };
  return { zh: `超期 ${offset} 个工作日`, en: `${offset} working day(s) overdue` };
}

/** Whom a step goes to: the handling org (a reminder) or an org above it. */
export function whomText(levelsUp: number): Bilingual {
  if (levelsUp === 0) return { zh: '催办：提醒办理单位', en: 'Remind the handling org' };
  return { zh: `督办：报${UP[levelsUp] ?? `上${levelsUp}级`}`, en: `Escalate to ${UP_EN[levelsUp] ?? `${levelsUp} levels up`}` };
}

/** "第 2 级" / "Rung 2". */
export function rungText(step: number): Bilingual {
  return { zh: `第 ${step} 级`, en: `Rung ${step}` };
}

/** Working days past the due date, or "not yet" when none. */
export function overdueText(days: number): Bilingual {
  return days > 0 ? { zh: `超期 ${days} 个工作日`, en: `${days} working day(s) overdue` } : { zh: '未超期', en: 'not overdue' };
}
