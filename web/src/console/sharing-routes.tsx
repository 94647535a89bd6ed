import { Spin } from 'antd';
import { lazy, Suspense } from 'react';

// The bundle and data-sharing pages of the console, loaded when first opened.
const BundleTasks = lazy(() => import('./BundleTasks.tsx').then((m) => ({ default: m.BundleTasks })));
const Grants = lazy(() => import('./Grants.tsx').then((m) => ({ default: m.Grants })));
const Datasets = lazy(() => import('./Datasets.tsx').then((m) => ({ default: m.Datasets })));

export const SHARING_MENU = [
  { key: 'bundle-tasks', path: '/console/bundle-tasks', zh: '一件事任务', en: 'Bundle tasks' },
  { key: 'grants', path: '/console/grants', zh: '共享授权', en: 'Sharing grants' },
  { key: 'datasets', path: '/console/datasets', zh: '数据目录', en: 'Datasets' },
] as const;

export type SharingPageKey = (typeof SHARING_MENU)[number]['key'];

export function sharingPageOf(path: string): SharingPageKey | null {
  return SHARING_MENU.find((m) => path === m.path)?.key ?? null;
}

export function SharingPage({ path }: { path: string }) {
  const key = sharingPageOf(path);
  return (
    <Suspense fallback={<Spin />}>
      {key === 'bundle-tasks' && <BundleTasks />}
      {key === 'grants' && <Grants />}
      {key === 'datasets' && <Datasets />}
    </Suspense>
  );
}
