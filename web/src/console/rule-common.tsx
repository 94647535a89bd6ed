/** What the rules pages share: status labels, org lookups, dates, who did what. */
import { useEffect, useState } from 'react';
import type { Org, RuleVersion } from '../shared/api.ts';
import { api } from './context.ts';

export const STATUS_TEXT: Record<RuleVersion['status'], { zh: string; en: string; color: string }> = {
  draft: { zh: '待启用', en: 'Draft', color: 'gold' },
  active: { zh: '生效中', en: 'In force', color: 'green' },
  retired: { zh: '已停用', en: 'Retired', color: 'default' },
};

/** The orgs named by code, fetched once each (a rule names the department that applies it). */
export function useOrgs(codes: readonly string[]): Record<string, Org> {
  const [orgs, setOrgs] = useState<Record<string, Org>>({});
  const key = [...new Set(codes)].sort().join(',');
  useEffect(() => {
    for (const code of key.split(',').filter(Boolean))
      api.org(code).then(
        (o) => setOrgs((m) => ({ ...m, [code]: o })),
        () => undefined,
      );
  }, [key]);
  return orgs;
}

export function effectiveText(v: Pick<RuleVersion, 'effectiveFrom' | 'effectiveTo'>, t: (zh: string, en: string) => string): string {
  return `${v.effectiveFrom} ~ ${v.effectiveTo ?? t('长期', 'open-ended')}`;
}
