import { Select } from 'antd';
import { useEffect, useRef, useState } from 'react';
import type { Org } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, LEVEL_TEXT } from './context.ts';

/**
 * Picks an org: the given starting orgs and the orgs right below them at first, any division or
 * department by name when the user types (the server still checks what the caller may do there).
 */
export function OrgPicker(props: {
  roots: string[];
  value?: string | undefined;
  onChange: (code: string, org?: Org) => void;
  width?: number;
  label: string;
  id?: string;
}) {
  const { pick } = useI18n();
  const [options, setOptions] = useState<Org[]>([]);
  const [found, setFound] = useState<Org[] | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void (async () => {
      const out: Org[] = [];
      for (const code of props.roots) {
        const org = await api.org(code).catch(() => null);
        if (org) out.push(org);
        if (org && org.level !== 'village' && org.level !== 'department') {
          const children = await api.orgChildren(code).catch(() => ({ items: [] as Org[] }));
          out.push(...children.items);
        }
      }
      if (live) setOptions(out);
    })();
    return () => {
      live = false;
    };
  }, [props.roots.join(',')]);

  const search = (q: string) => {
    clearTimeout(timer.current);
    if (q.trim() === '') {
      setFound(null);
      return;
    }
    timer.current = setTimeout(() => {
      api.searchOrgs(q.trim()).then(
        (r) => setFound(r.items),
        () => setFound([]),
      );
    }, 250);
  };
  const shown = found ?? options;
  const label = (o: Org) => `${o.name}（${LEVEL_TEXT[o.level] ? pick(LEVEL_TEXT[o.level]!) : o.level}）`;
  return (
    <Select
      id={props.id}
      showSearch
      filterOption={false}
      style={{ width: props.width ?? 280 }}
      aria-label={props.label}
      placeholder={props.label}
      value={props.value}
      onSearch={search}
      onChange={(code: string) => {
        // A search still waiting would otherwise land after the choice and replace the options under it.
        clearTimeout(timer.current);
        setFound(null);
        props.onChange(
          code,
          shown.find((o) => o.code === code),
        );
      }}
      options={[...new Map(shown.map((o) => [o.code, { value: o.code, label: label(o) }])).values()]}
    />
  );
}
