import type { Sensitivity } from '../shared/api.ts';

/** How sensitive a field is, as the consent preview and "who used my data" say it. */
export const SENSITIVITY: Record<Sensitivity, { zh: string; en: string }> = {
  low: { zh: '一般', en: 'low' },
  medium: { zh: '敏感', en: 'sensitive' },
  high: { zh: '高度敏感', en: 'highly sensitive' },
};
