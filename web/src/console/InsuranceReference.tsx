import { App as AntApp, Card, Empty, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import type { CatalogueEntry, Clearing, InsuranceInstitution } from '../shared/insurance-api.ts';
import { yuan } from '../shared/money.ts';
import { errorText, formatDateTime, insuranceApi } from './context.ts';

type Words = { zh: string; en: string };

const LEVEL: Record<1 | 2 | 3, Words> = {
  1: { zh: '一级', en: 'Level 1' },
  2: { zh: '二级', en: 'Level 2' },
  3: { zh: '三级', en: 'Level 3' },
};
const KIND: Record<CatalogueEntry['kind'], Words> = {
  drug: { zh: '药品', en: 'Drug' },
  service: { zh: '医疗服务项目', en: 'Service item' },
  consumable: { zh: '医用耗材', en: 'Consumable' },
};
const CLASS: Record<CatalogueEntry['itemClass'], Words & { color: string }> = {
  A: { zh: '甲类', en: 'Class A', color: 'green' },
  B: { zh: '乙类', en: 'Class B', color: 'blue' },
  C: { zh: '丙类', en: 'Class C', color: 'default' },
};
/** The provinces whose catalogue the platform holds (the places of treatment). */
const PROVINCES = [
  { code: '450000', zh: '广西壮族自治区', en: 'Guangxi' },
  { code: '130000', zh: '河北省', en: 'Hebei' },
];

/** 定点机构: the designated institutions, their level and signing key. */
export function InsuranceInstitutions() {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const [rows, setRows] = useState<InsuranceInstitution[] | null>(null);
  useEffect(() => {
    insuranceApi.institutions().then(setRows, (e: unknown) => {
      setRows([]);
      void message.error(errorText(e));
    });
  }, [message]);
  return (
    <Card title={t('定点医疗机构', 'Designated institutions')}>
      <div data-testid="insurance-institutions">
        <Table<InsuranceInstitution>
          rowKey="code"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          size="middle"
          locale={{ emptyText: <Empty description={t('暂无定点机构', 'No institutions')} /> }}
          columns={[
            { title: t('机构编码', 'Code'), dataIndex: 'code' },
            { title: t('名称', 'Name'), render: (_, r) => (lang === 'zh' ? r.nameZh : r.nameEn) },
            { title: t('等级', 'Level'), render: (_, r) => pick(LEVEL[r.level]) },
            { title: t('所在地', 'Division'), dataIndex: 'region' },
            {
              title: t('状态', 'Status'),
              render: (_, r) =>
                r.status === 'active' ? <Tag color="green">{t('正常', 'Active')}</Tag> : <Tag>{t('暂停', 'Suspended')}</Tag>,
            },
            { title: t('签名密钥', 'Signing key'), render: (_, r) => <Typography.Text code>{r.keyId}</Typography.Text> },
          ]}
        />
      </div>
    </Card>
  );
}

/** 目录: a province's catalogue of drugs, service items and consumables, filtered by kind and class, searched by code or name. */
export function InsuranceCatalogue() {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const [province, setProvince] = useState('450000');
  const [rows, setRows] = useState<CatalogueEntry[] | null>(null);
  const [kind, setKind] = useState<CatalogueEntry['kind'] | ''>('');
  const [itemClass, setItemClass] = useState<CatalogueEntry['itemClass'] | ''>('');
  const [search, setSearch] = useState('');
  useEffect(() => {
    setRows(null);
    insuranceApi.catalogue(province).then(setRows, (e: unknown) => {
      setRows([]);
      void message.error(errorText(e));
    });
  }, [province, message]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (rows ?? []).filter(
      (r) =>
        (!kind || r.kind === kind) &&
        (!itemClass || r.itemClass === itemClass) &&
        (!q || r.code.toLowerCase().includes(q) || r.nameZh.includes(q) || r.nameEn.toLowerCase().includes(q)),
    );
  }, [rows, kind, itemClass, search]);
  return (
    <Card
      title={t('医保目录', 'Catalogue')}
      extra={
        <Space wrap>
          <Select
            aria-label={t('就医地省份', 'Province of treatment')}
            style={{ minWidth: 150 }}
            value={province}
            onChange={setProvince}
            options={PROVINCES.map((p) => ({ value: p.code, label: `${pick(p)}（${p.code}）` }))}
          />
          <Select<CatalogueEntry['kind'] | ''>
            aria-label={t('类别', 'Kind')}
            style={{ minWidth: 140 }}
            value={kind}
            onChange={setKind}
            options={[
              { value: '', label: t('全部类别', 'Every kind') },
              ...(Object.keys(KIND) as CatalogueEntry['kind'][]).map((k) => ({ value: k, label: pick(KIND[k]) })),
            ]}
          />
          <Select<CatalogueEntry['itemClass'] | ''>
            aria-label={t('甲乙丙类', 'Class')}
            style={{ minWidth: 120 }}
            value={itemClass}
            onChange={setItemClass}
            options={[
              { value: '', label: t('全部甲乙丙', 'Every class') },
              ...(Object.keys(CLASS) as CatalogueEntry['itemClass'][]).map((c) => ({ value: c, label: pick(CLASS[c]) })),
            ]}
          />
          <Input.Search
            aria-label={t('搜索编码或名称', 'Search code or name')}
            placeholder={t('搜索编码或名称', 'Search code or name')}
            allowClear
            style={{ width: 220 }}
            onSearch={setSearch}
            onChange={(e) => setSearch(e.target.value)}
          />
        </Space>
      }
    >
      <div data-testid="insurance-catalogue">
        <Table<CatalogueEntry>
          rowKey={(r) => `${r.code}-${r.effectiveFrom}`}
          loading={rows === null}
          dataSource={shown}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          size="middle"
          locale={{ emptyText: <Empty description={t('没有符合的条目', 'Nothing matches')} /> }}
          columns={[
            { title: t('国家编码', 'National code'), render: (_, r) => <Typography.Text code>{r.code}</Typography.Text> },
            { title: t('名称', 'Name'), render: (_, r) => (lang === 'zh' ? r.nameZh : r.nameEn) },
            { title: t('类别', 'Kind'), render: (_, r) => pick(KIND[r.kind]) },
            { title: t('甲乙丙', 'Class'), render: (_, r) => <Tag color={CLASS[r.itemClass].color}>{pick(CLASS[r.itemClass])}</Tag> },
            { title: t('单位', 'Unit'), dataIndex: 'unit' },
            {
              title: t('支付标准', 'Payment standard'),
              align: 'right',
              render: (_, r) => (r.priceLimitFen === null ? '—' : yuan(r.priceLimitFen)),
            },
            {
              title: t('最高限价', 'Highest price'),
              align: 'right',
              render: (_, r) => (r.maxPriceFen === null ? '—' : yuan(r.maxPriceFen)),
            },
            { title: t('生效', 'From'), dataIndex: 'effectiveFrom' },
          ]}
        />
      </div>
    </Card>
  );
}

function lastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

/** 清算: a month's totals between places of treatment and of insurance, with the discrepancies found. */
export function InsuranceClearings() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [month, setMonth] = useState(lastMonth);
  const [rows, setRows] = useState<Clearing[] | null>(null);
  useEffect(() => {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return;
    setRows(null);
    insuranceApi.clearings(month).then(setRows, (e: unknown) => {
      setRows([]);
      void message.error(errorText(e));
    });
  }, [month, message]);
  return (
    <Card
      title={t('清算', 'Clearing')}
      extra={
        <Input
          type="month"
          aria-label={t('清算月份', 'Month')}
          value={month}
          onChange={(e) => setMonth(e.target.value)}
          style={{ width: 170 }}
        />
      }
    >
      <Typography.Paragraph className="cs-muted">
        {t(
          '按月汇总就医地与参保地之间的结算，附对账不符的机构日；清算运行后才有数据。',
          'A month’s settlements summed between places of treatment and of insurance, with the institution days that did not reconcile; empty until clearing runs.',
        )}
      </Typography.Paragraph>
      <div data-testid="insurance-clearings">
        <Table<Clearing>
          rowKey={(r) => `${r.month}-${r.treatmentRegion}-${r.insuranceRegion}`}
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={false}
          size="middle"
          locale={{ emptyText: <Empty description={t('该月尚无清算', 'No clearing for this month')} /> }}
          columns={[
            { title: t('月份', 'Month'), dataIndex: 'month' },
            { title: t('就医地', 'Treated in'), dataIndex: 'treatmentRegion' },
            { title: t('参保地', 'Insured in'), dataIndex: 'insuranceRegion' },
            { title: t('笔数', 'Count'), render: (_, r) => r.totals.count },
            { title: t('医疗费总额', 'Total'), align: 'right', render: (_, r) => yuan(r.totals.totalFen) },
            { title: t('基金支付', 'Fund'), align: 'right', render: (_, r) => yuan(r.totals.fundFen) },
            { title: t('个人账户', 'Account'), align: 'right', render: (_, r) => yuan(r.totals.accountFen) },
            { title: t('个人现金', 'Cash'), align: 'right', render: (_, r) => yuan(r.totals.cashFen) },
            {
              title: t('对账不符', 'Discrepancies'),
              render: (_, r) =>
                r.discrepancies.length === 0 ? (
                  <Tag color="green">{t('无', 'None')}</Tag>
                ) : (
                  <ul className="cs-why">
                    {r.discrepancies.map((d) => (
                      <li key={`${d.institutionCode}-${d.day}`}>
                        {d.institutionCode} {d.day}：{d.reason}
                      </li>
                    ))}
                  </ul>
                ),
            },
            { title: t('生成时间', 'Made'), render: (_, r) => formatDateTime(r.createdAt, lang) },
          ]}
        />
      </div>
    </Card>
  );
}
