/** 督查看板: the figures an org is assessed on, per day, per child (click to drill down) and per service; every table exports. */
import { App as AntApp, Breadcrumb, Card, Col, Empty, Input, Row, Space, Spin, Statistic, Table, Tag } from 'antd';
import { type ComponentProps, lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { DashboardView } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, LEVEL_TEXT, orgsFor, session, useSearchParam } from './context.ts';
import { type ChildRow, childrenOption, ExportButtons, figureColumns, num, pct, type ServiceRow, trendOption } from './dashboard-parts.tsx';

// ECharts is a chunk of its own, fetched beside the view: the figures and tables show without waiting for it.
const EChart = lazy(() => import('./echart.tsx').then((m) => ({ default: m.EChart })));
function Chart(props: ComponentProps<typeof EChart>) {
  return (
    <Suspense fallback={<div aria-busy="true" style={{ height: props.height ?? 280 }} />}>
      <EChart {...props} />
    </Suspense>
  );
}

const chinaToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const daysBefore = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

function dashboardUrl(org: string, from?: string, to?: string): string {
  const q = new URLSearchParams({ org, ...(from ? { from } : {}), ...(to ? { to } : {}) });
  return `/console/dashboard?${q.toString()}`;
}

export function Dashboard() {
  const { t, pick } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const roots = orgsFor(me, 'dashboard.view');
  const code = useSearchParam('org') ?? roots[0];
  const to = useSearchParam('to') ?? chinaToday();
  const from = useSearchParam('from') ?? daysBefore(to, 29);
  const [view, setView] = useState<DashboardView | null>(null);

  useEffect(() => {
    if (!code) return;
    setView(null);
    api.dashboard(code, { from, to }).then(setView, (e: unknown) => void message.error(errorText(e)));
  }, [code, from, to, message]);

  const t2 = (zh: string, en: string) => t(zh, en);
  const trend = useMemo(() => (view ? trendOption(view, t2) : null), [view]);
  // Busiest first; the chart shows the first 20 (a township has dozens of villages), the table all of them.
  const ranked = useMemo(
    () => (view ? [...view.children].sort((a, b) => b.figures.submitted - a.figures.submitted || a.code.localeCompare(b.code)) : []),
    [view],
  );
  const compare = useMemo(() => (ranked.length > 0 ? childrenOption(ranked.slice(0, 20), t2) : null), [ranked]);

  if (!code) return <Empty description={t('此账号没有看板权限', 'This account may see no dashboard')} />;
  const drill = (org: string) => navigate(dashboardUrl(org, from, to));
  const queue = (org: string) => navigate(`/console?orgCode=${org}&overdue=1`);

  return (
    <Card
      title={t('督查看板', 'Supervision dashboard')}
      variant="borderless"
      extra={
        <Space wrap>
          <Input
            type="date"
            aria-label={t('起始日期', 'From')}
            value={from}
            max={to}
            onChange={(e) => e.target.value && navigate(dashboardUrl(code, e.target.value, to))}
          />
          <Input
            type="date"
            aria-label={t('截止日期', 'To')}
            value={to}
            min={from}
            onChange={(e) => e.target.value && navigate(dashboardUrl(code, from, e.target.value))}
          />
        </Space>
      }
    >
      {!view ? (
        <Spin />
      ) : (
        <>
          <Breadcrumb
            className="cs-crumbs"
            items={[...view.trail, view.org].map((o, i, all) => ({
              title:
                i < all.length - 1 ? (
                  <a href={dashboardUrl(o.code, from, to)} onClick={(e) => (e.preventDefault(), drill(o.code))}>
                    {o.name}
                  </a>
                ) : (
                  <b data-testid="dashboard-org">{o.name}</b>
                ),
            }))}
          />
          <Row gutter={[12, 12]} className="cs-stats" data-testid="dashboard-figures">
            {[
              [t('网上可办率', 'Online rate'), pct(view.online.rate)],
              [t('全程网办率', 'Fully online'), pct(view.figures.fullyOnlineRate)],
              [t('按时办结率', 'On time'), pct(view.figures.onTimeRate)],
              [t('一次办结率', 'First time'), pct(view.figures.firstTimeRate)],
              [t('平均办理工作日', 'Avg working days'), num(view.figures.averageWorkingDays)],
              [t('到现场次数', 'Counter trips'), num(view.figures.counterTrips)],
              [t('申请 / 办结', 'Submitted / decided'), `${view.figures.submitted} / ${view.figures.decided}`],
              [t('即办件', 'Instant'), num(view.figures.instant)],
              [t('出具证明', 'Certificates'), num(view.figures.certificates)],
              [
                t('数据共享 调用 / 提供', 'Data exchanges used / provided'),
                `${view.figures.exchanges} / ${view.figures.exchangesProvided}`,
              ],
              [t('好评率', 'Good ratings'), pct(view.ratings?.goodRate ?? null)],
              [t('差评 / 整改率', 'Bad / rectified'), view.ratings ? `${view.ratings.bad} / ${pct(view.ratings.rectificationRate)}` : '—'],
              [t('回访率', 'Callback rate'), pct(view.ratings?.callbackRate ?? null)],
            ].map(([title, value]) => (
              <Col key={title} xs={12} sm={8} md={6} lg={4}>
                <Card size="small">
                  <Statistic title={title} value={value} />
                </Card>
              </Col>
            ))}
          </Row>
          <p className="cs-muted">
            {t(
              '所有指标均为所选区间；好差评按评价日期计入（回访、整改计入其评价的日期）。',
              'Every figure is for the period; ratings count on the day they were given (a callback or a rectification on its rating’s day).',
            )}{' '}
            <a href={view.queue.link} onClick={(e) => (e.preventDefault(), queue(view.org.code))}>
              {t('查看超期办件队列', 'Open its overdue queue')}
            </a>
          </p>
          <Card
            size="small"
            title={t('每日趋势', 'Per day')}
            extra={<ExportButtons orgCode={view.org.code} table="trend" from={from} to={to} t={t2} />}
          >
            {trend && <Chart option={trend} label={t('每日申请与办结趋势图', 'Cases per day')} testId="dashboard-trend" />}
          </Card>
          {view.children.length > 0 && (
            <Card
              size="small"
              title={t('下级对比（点击下钻）', 'Below (click to drill down)')}
              extra={<ExportButtons orgCode={view.org.code} table="children" from={from} to={to} t={t2} />}
            >
              {compare && (
                <Chart
                  option={compare}
                  label={t('下级单位办结与按时率对比图', 'Orgs below compared')}
                  onClick={(i) => ranked[i] && drill(ranked[i].code)}
                  testId="dashboard-children-chart"
                />
              )}
              <Table<ChildRow>
                rowKey="code"
                size="small"
                scroll={{ x: 'max-content' }}
                dataSource={ranked}
                pagination={view.children.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
                onRow={(r) => ({ onClick: () => drill(r.code), style: { cursor: 'pointer' } })}
                columns={[
                  {
                    title: t('下级单位', 'Below'),
                    dataIndex: 'name',
                    fixed: 'left',
                    render: (name: string, r) => (
                      <a href={dashboardUrl(r.code, from, to)} onClick={(e) => e.preventDefault()}>
                        {name}
                      </a>
                    ),
                  },
                  { title: t('层级', 'Level'), dataIndex: 'level', render: (l: string) => (LEVEL_TEXT[l] ? pick(LEVEL_TEXT[l]) : l) },
                  ...figureColumns<ChildRow>(t2),
                  {
                    title: t('队列', 'Queue'),
                    render: (_, r) => (
                      <a
                        href={`/console?orgCode=${r.code}&overdue=1`}
                        onClick={(e) => (e.preventDefault(), e.stopPropagation(), queue(r.code))}
                      >
                        {t('超期件', 'Overdue')}
                      </a>
                    ),
                  },
                ]}
              />
            </Card>
          )}
          <Card
            size="small"
            title={t('分事项', 'Per service')}
            extra={<ExportButtons orgCode={view.org.code} table="services" from={from} to={to} t={t2} />}
          >
            <Table<ServiceRow>
              rowKey="code"
              size="small"
              scroll={{ x: 'max-content' }}
              dataSource={view.services}
              pagination={view.services.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
              columns={[
                { title: t('事项', 'Service'), fixed: 'left', render: (_, s) => pick({ zh: s.nameZh, en: s.nameEn }) },
                {
                  title: t('网上可办', 'Online'),
                  render: (_, s) => (s.fullyOnlineItem ? <Tag color="green">{t('是', 'yes')}</Tag> : <Tag>{t('否', 'no')}</Tag>),
                },
                { title: t('承诺 / 法定时限', 'Promised / legal'), render: (_, s) => `${num(s.promisedDays)} / ${num(s.legalDays)}` },
                ...figureColumns<ServiceRow>(t2),
              ]}
            />
          </Card>
        </>
      )}
    </Card>
  );
}
