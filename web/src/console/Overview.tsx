import { App as AntApp, Breadcrumb, Card, Col, Empty, Row, Select, Spin, Statistic, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { Overview as OverviewDto, OverviewRow } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, LEVEL_TEXT, orgsFor, session, useSearchParam } from './context.ts';

const rate = (open: number, overdue: number) => (open === 0 ? 0 : Math.round((overdue / open) * 1000) / 10);

/** 四级总览: a node's open and overdue cases, one row per org below it; a row opens the level below, a village its queue. */
export function Overview() {
  const { t, pick } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const roots = orgsFor(me, 'overview.view');
  const [rootNames, setRootNames] = useState<Record<string, string>>({});
  const code = useSearchParam('org') ?? roots[0];
  const [data, setData] = useState<OverviewDto | null>(null);

  useEffect(() => {
    for (const r of roots)
      api.org(r).then(
        (o) => setRootNames((n) => ({ ...n, [r]: o.name })),
        () => undefined,
      );
  }, []);
  useEffect(() => {
    if (!code) return;
    setData(null);
    api.overview(code).then(setData, (e: unknown) => void message.error(errorText(e)));
  }, [code, message]);

  const open = (row: OverviewRow) => {
    if (row.leaf) navigate(`/console?orgCode=${row.code}${row.overdue > 0 ? '&overdue=1' : ''}`);
    else navigate(`/console/overview?org=${row.code}`);
  };

  if (!code) return <Empty description={t('此账号没有管理员或督查员角色', 'This account has no administrator or supervisor role')} />;
  return (
    <Card
      title={t('四级总览：在办与超期', 'Overview: open and overdue cases')}
      variant="borderless"
      extra={
        roots.length > 1 && (
          <Select
            style={{ width: 220 }}
            aria-label={t('管辖范围', 'Area')}
            value={roots.includes(code) ? code : undefined}
            placeholder={t('管辖范围', 'Area')}
            onChange={(v: string) => navigate(`/console/overview?org=${v}`)}
            options={roots.map((r) => ({ value: r, label: rootNames[r] ?? r }))}
          />
        )
      }
    >
      {!data ? (
        <Spin />
      ) : (
        <>
          <Breadcrumb
            className="cs-crumbs"
            items={[...data.trail, data.org].map((o, i, all) => ({
              title:
                i < all.length - 1 ? (
                  <a
                    href={`/console/overview?org=${o.code}`}
                    onClick={(e) => (e.preventDefault(), navigate(`/console/overview?org=${o.code}`))}
                  >
                    {o.name}
                  </a>
                ) : (
                  <b data-testid="overview-org">{o.name}</b>
                ),
            }))}
          />
          <Row gutter={16} className="cs-stats">
            <Col span={6}>
              <Card size="small">
                <Statistic title={t('在办件', 'Open cases')} value={data.totals.open} />
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic
                  title={t('超期件', 'Overdue')}
                  value={data.totals.overdue}
                  valueStyle={{ color: data.totals.overdue > 0 ? '#cf1322' : undefined }}
                />
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic
                  title={t('超期率', 'Overdue rate')}
                  value={rate(data.totals.open, data.totals.overdue)}
                  suffix="%"
                  precision={1}
                />
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic title={t('统计日期', 'As of')} value={data.today} />
              </Card>
            </Col>
          </Row>
          {data.children.length === 0 ? (
            <p className="cs-muted">
              {t('这是最基层的办理单位。', 'This is where cases are handled.')}{' '}
              <a
                href={`/console?orgCode=${data.org.code}`}
                onClick={(e) => (e.preventDefault(), navigate(`/console?orgCode=${data.org.code}`))}
              >
                {t('查看待办队列', 'Open its queue')}
              </a>
            </p>
          ) : (
            <Table<OverviewRow>
              rowKey="code"
              size="middle"
              dataSource={[...data.children].sort((a, b) => b.overdue - a.overdue || b.open - a.open || a.code.localeCompare(b.code))}
              pagination={data.children.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
              onRow={(r) => ({ onClick: () => open(r), style: { cursor: 'pointer' } })}
              rowClassName={(r) => (r.overdue > 0 ? 'cs-overdue' : '')}
              columns={[
                {
                  title: t('下级单位', 'Below'),
                  dataIndex: 'name',
                  render: (name: string, r) => (
                    <a href={r.leaf ? `/console?orgCode=${r.code}` : `/console/overview?org=${r.code}`} onClick={(e) => e.preventDefault()}>
                      {name}
                    </a>
                  ),
                },
                { title: t('层级', 'Level'), dataIndex: 'level', render: (l: string) => (LEVEL_TEXT[l] ? pick(LEVEL_TEXT[l]) : l) },
                { title: t('在办件', 'Open'), dataIndex: 'open', align: 'right', sorter: (a, b) => a.open - b.open },
                {
                  title: t('超期件', 'Overdue'),
                  dataIndex: 'overdue',
                  align: 'right',
                  sorter: (a, b) => a.overdue - b.overdue,
                  render: (n: number) => (n > 0 ? <Tag color="red">{n}</Tag> : n),
                },
                {
                  title: t('超期率', 'Overdue rate'),
                  width: 220,
                  render: (_, r) => (
                    <span className="cs-rate">
                      <span className="cs-rate-track" aria-hidden="true">
                        <span
                          className={r.overdue > 0 ? 'cs-rate-bar cs-rate-bad' : 'cs-rate-bar'}
                          style={{ width: `${rate(r.open, r.overdue)}%` }}
                        />
                      </span>
                      {rate(r.open, r.overdue)}%
                    </span>
                  ),
                },
              ]}
            />
          )}
        </>
      )}
    </Card>
  );
}
