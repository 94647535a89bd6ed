import { Spin, Tabs } from 'antd';
import { lazy, Suspense } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import { match, navigate, usePath } from '../shared/router.tsx';

const Settlements = lazy(() => import('./InsuranceSettlements.tsx').then((m) => ({ default: m.InsuranceSettlements })));
const SettlementDetail = lazy(() => import('./InsuranceSettlements.tsx').then((m) => ({ default: m.InsuranceSettlementDetail })));
const Policies = lazy(() => import('./InsurancePolicies.tsx').then((m) => ({ default: m.InsurancePolicies })));
const Institutions = lazy(() => import('./InsuranceReference.tsx').then((m) => ({ default: m.InsuranceInstitutions })));
const Catalogue = lazy(() => import('./InsuranceReference.tsx').then((m) => ({ default: m.InsuranceCatalogue })));
const CrossProvince = lazy(() => import('./InsuranceCrossProvince.tsx').then((m) => ({ default: m.InsuranceCrossProvince })));
const Clearings = lazy(() => import('./InsuranceReference.tsx').then((m) => ({ default: m.InsuranceClearings })));

const TABS = [
  { key: 'settlements', zh: '结算', en: 'Settlements' },
  { key: 'policies', zh: '政策', en: 'Policies' },
  { key: 'institutions', zh: '定点机构', en: 'Institutions' },
  { key: 'catalogue', zh: '目录', en: 'Catalogue' },
  { key: 'clearings', zh: '清算', en: 'Clearing' },
  { key: 'cross-province', zh: '跨省在途', en: 'Cross-province' },
] as const;

/** 医保: the pooling region's settlements, policy versions, designated institutions, catalogue, clearing and open cross-province settlements. */
export function Insurance() {
  const { t } = useI18n();
  const path = usePath();
  const detail = match('/console/insurance/settlements/:setlId', path);
  const tab = TABS.find((x) => path.startsWith(`/console/insurance/${x.key}`))?.key ?? 'settlements';
  return (
    <div data-testid="insurance-console">
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(`/console/insurance/${key}`)}
        items={TABS.map((x) => ({ key: x.key, label: t(x.zh, x.en) }))}
      />
      <Suspense fallback={<Spin />}>
        {detail ? (
          <SettlementDetail setlId={detail.setlId!} />
        ) : tab === 'policies' ? (
          <Policies />
        ) : tab === 'institutions' ? (
          <Institutions />
        ) : tab === 'catalogue' ? (
          <Catalogue />
        ) : tab === 'clearings' ? (
          <Clearings />
        ) : tab === 'cross-province' ? (
          <CrossProvince />
        ) : (
          <Settlements />
        )}
      </Suspense>
    </div>
  );
}
