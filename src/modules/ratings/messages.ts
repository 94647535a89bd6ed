import { AppError } from '../../core/errors.ts';
import type { Bilingual } from '../../core/messages.ts';
import { hasUnsafeText } from '../../core/values.ts';

/** The module's sentences (both languages); errors use the stable codes of core/errors.ts. */
export const TEXT = {
  rating: { zh: '评价', en: 'Rating' },
  encounter: { zh: '评价链接', en: 'Rating link' },
  rectification: { zh: '整改任务', en: 'Rectification task' },
  appeal: { zh: '申诉', en: 'Appeal' },
  rateAction: { zh: '评价', en: 'rate' },
  caseRating: { zh: '该办件的评价', en: 'A rating of this case' },
  encounterRating: { zh: '本次服务的评价', en: 'A rating of this service encounter' },
  appealOfRating: { zh: '该评价的申诉', en: 'An appeal against this rating' },
} as const satisfies Record<string, Bilingual>;

export const notFoundOf = (what: Bilingual): AppError => new AppError('NOT_FOUND', { what });

export const conflict = (zh: string, en: string): AppError => new AppError('CONFLICT', { detail: { zh, en } });

export const invalid = (zh: string, en: string): AppError => new AppError('VALIDATION_FAILED', { detail: { zh, en } });

/** Free text from staff (a reply, a note, a reason), trimmed; refused when it holds control characters. */
export function cleanText(text: string): string {
  if (hasUnsafeText(text, { freeText: true })) throw invalid('内容含有控制字符', 'the text contains a control character');
  return text.trim();
}
