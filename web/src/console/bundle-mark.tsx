import { Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { BundleDefinition } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api } from './context.ts';

let cache: Promise<BundleDefinition[]> | undefined;

/** The bundle definitions, read once per page load (they change with a release, not at run time). */
export function bundleDefinitions(): Promise<BundleDefinition[]> {
  cache ??= api.bundleDefinitions().catch(() => {
    cache = undefined;
    return [];
  });
  return cache;
}

export function useBundleDefinitions(): BundleDefinition[] {
  const [defs, setDefs] = useState<BundleDefinition[]>([]);
  useEffect(() => {
    void bundleDefinitions().then(setDefs);
  }, []);
  return defs;
}

/** A tag that says a case is one task of a life-event bundle (一件事), so an officer recognises it in any list. */
export function BundleMark({ serviceCode, defs }: { serviceCode: string; defs: readonly BundleDefinition[] }) {
  const { lang, t } = useI18n();
  const def = defs.find((d) => d.tasks.some((x) => x.item === serviceCode));
  if (!def) return null;
  return (
    <Tag color="purple" data-testid="bundle-mark">
      {t('一件事', 'Bundle')} · {lang === 'zh' ? def.nameZh : def.nameEn}
    </Tag>
  );
}
