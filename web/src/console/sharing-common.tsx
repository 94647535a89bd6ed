/** What the sharing pages share: adapter and sensitivity labels, the officer's orgs, a grant's state. */
import { Select } from 'antd';
import { useEffect, useState } from 'react';
import type { Grant } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, orgsFor, session } from './context.ts';

/** How a dataset is served, as the catalogue names it. */
export const ADAPTER_LABELS: Record<'internal' | 'external' | 'licences', [string, string]> = {
  internal: ['平台内数据', 'Kept in the platform'],
  external: ['部门系统接口', "Department's own system"],
  licences: ['电子证照库', 'E-licence library'],
};
export const ADAPTER_COLOURS: Record<'internal' | 'external' | 'licences', string> = {
  internal: 'blue',
  external: 'purple',
  licences: 'red',
};

export const SENSITIVITY = {
  low: { zh: '一般', en: 'Low', color: 'default' },
  medium: { zh: '敏感', en: 'Sensitive', color: 'orange' },
  high: { zh: '高度敏感', en: 'Highly sensitive', color: 'red' },
} as const;

/** The orgs the signed-in officer works for, with their names. */
export function useMyOrgs(): { codes: string[]; names: Record<string, string> } {
  const me = session.use();
  const codes = orgsFor(me, 'sharing.view');
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const code of codes)
      api.org(code).then(
        (o) => setNames((n) => ({ ...n, [code]: o.name })),
        () => undefined,
      );
  }, [codes.join(',')]);
  return { codes, names };
}

export function OrgPicker({
  codes,
  names,
  value,
  onChange,
}: {
  codes: string[];
  names: Record<string, string>;
  value: string | undefined;
  onChange: (v: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Select
      style={{ minWidth: 260 }}
      value={value}
      onChange={onChange}
      aria-label={t('单位', 'Organisation')}
      options={codes.map((c) => ({ value: c, label: names[c] ? `${names[c]}（${c}）` : c }))}
    />
  );
}

export function grantState(g: Grant): 'live' | 'revoked' | 'expired' | 'pending' | 'refused' {
  if (g.status === 'pending_approval') return 'pending';
  if (g.status === 'refused') return 'refused';
  if (g.revokedAt) return 'revoked';
  return new Date(g.validUntil) > new Date() ? 'live' : 'expired';
}
