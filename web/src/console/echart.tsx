/** One Apache ECharts chart (only the parts the dashboards use, so the chunk stays small), sized to its box. */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { type ECharts, type EChartsCoreOption, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function EChart(props: {
  option: EChartsCoreOption;
  label: string;
  height?: number;
  onClick?: (dataIndex: number) => void;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const { option, onClick } = props;

  useEffect(() => {
    const el = box.current!;
    const c = init(el);
    chart.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  useEffect(() => {
    const c = chart.current;
    if (!c || !onClick) return;
    const handler = (p: { dataIndex?: number }) => p.dataIndex !== undefined && onClick(p.dataIndex);
    c.on('click', handler);
    return () => void c.off('click', handler);
  }, [onClick]);

  return (
    <div ref={box} role="img" aria-label={props.label} data-testid={props.testId} style={{ width: '100%', height: props.height ?? 280 }} />
  );
}
