/** The dashboard's pieces: rate formatting, chart options, table columns and the export buttons. */
import { App as AntApp, Button, Space } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import type { DashboardFigures, DashboardView } from '../shared/api.ts';
import { api, errorText } from './context.ts';

export type ChildRow = DashboardView['children'][number];
export type ServiceRow = DashboardView['services'][number];
type T = (zh: string, en: string) => string;

export const pct = (rate: number | null): string => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
export const num = (n: number | null): string => (n === null ? '—' : String(n));

/** Per day: submitted and decided as lines, on time as bars. */
export function trendOption(view: DashboardView, t: T): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: view.trend.map((d) => d.day.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('申请', 'Submitted'), type: 'line', smooth: true, data: view.trend.map((d) => d.submitted) },
      { name: t('办结', 'Decided'), type: 'line', smooth: true, data: view.trend.map((d) => d.decided) },
      { name: t('按时办结', 'On time'), type: 'bar', data: view.trend.map((d) => d.onTime) },
    ],
  };
}

/** The children side by side: decided cases (bars) and the on-time rate (line, right axis). */
export function childrenOption(rows: readonly ChildRow[], t: T): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 36, bottom: 64 },
    xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { rotate: 30, interval: 0, fontSize: 10 } },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    ],
    series: [
      { name: t('办结件数', 'Decided'), type: 'bar', data: rows.map((r) => r.figures.decided) },
      {
        name: t('按时办结率', 'On-time rate'),
        type: 'line',
        yAxisIndex: 1,
        data: rows.map((r) => (r.figures.onTimeRate === null ? null : Math.round(r.figures.onTimeRate * 1000) / 10)),
      },
    ],
  };
}

/** The figure columns every table shares, in the order of the exports (exports.ts). */
export function figureColumns<R extends { figures: DashboardFigures }>(t: T): ColumnsType<R> {
  const count = (title: string, key: keyof DashboardFigures) => ({
    title,
    align: 'right' as const,
    render: (_: unknown, r: R) => num(r.figures[key]),
    sorter: (a: R, b: R) => (a.figures[key] ?? -1) - (b.figures[key] ?? -1),
  });
  const rate = (title: string, key: keyof DashboardFigures) => ({
    ...count(title, key),
    render: (_: unknown, r: R) => pct(r.figures[key]),
  });
  return [
    count(t('申请', 'Submitted'), 'submitted'),
    count(t('办结', 'Decided'), 'decided'),
    rate(t('按时办结率', 'On time'), 'onTimeRate'),
    rate(t('一次办结率', 'First time'), 'firstTimeRate'),
    rate(t('全程网办率', 'Fully online'), 'fullyOnlineRate'),
    count(t('到现场次数', 'Counter trips'), 'counterTrips'),
    count(t('平均工作日', 'Avg working days'), 'averageWorkingDays'),
    count(t('即办', 'Instant'), 'instant'),
    count(t('出证', 'Certificates'), 'certificates'),
    count(t('共享调用', 'Data used'), 'exchanges'),
    count(t('共享提供', 'Data provided'), 'exchangesProvided'),
  ];
}

/** CSV and Excel of one table, fetched with the session and saved by the browser. */
export function ExportButtons(props: { orgCode: string; table: 'children' | 'services' | 'trend'; from: string; to: string; t: T }) {
  const { message } = AntApp.useApp();
  const save = async (format: 'csv' | 'xlsx') => {
    try {
      const blob = await api.dashboardExport(props.orgCode, { table: props.table, format, from: props.from, to: props.to });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `dashboard-${props.orgCode}-${props.table}-${props.from}-${props.to}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      // Released a while later: revoking at once can cancel a download the browser has not started.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  return (
    <Space size="small">
      <Button size="small" data-testid={`export-${props.table}-csv`} onClick={() => void save('csv')}>
        {props.t('导出 CSV', 'CSV')}
      </Button>
      <Button size="small" data-testid={`export-${props.table}-xlsx`} onClick={() => void save('xlsx')}>
        {props.t('导出 Excel', 'Excel')}
      </Button>
    </Space>
  );
}
