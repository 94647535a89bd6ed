import { App as AntApp, Button, Card, Empty, Select, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { BenefitFigures, BenefitGrant, BenefitStatus } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { yuan } from '../shared/money.ts';
import { api, errorText, formatDateTime } from './context.ts';

type Words = { zh: string; en: string };

const STATUS: Record<BenefitStatus, Words & { color: string }> = {
  offered: { zh: '待确认', en: 'Offered', color: 'gold' },
  granted: { zh: '已核定', en: 'Granted', color: 'green' },
  declined: { zh: '已放弃', en: 'Declined', color: 'default' },
  opted_out: { zh: '已退出', en: 'Opted out', color: 'default' },
  stopped: { zh: '已停发', en: 'Stopped', color: 'default' },
  refused: { zh: '未符合条件', en: 'Refused', color: 'red' },
};

const MODE: Record<string, Words> = {
  grant: { zh: '免申即享', en: 'Automatic' },
  process: { zh: '免申即办', en: 'Processed' },
  confirm: { zh: '确认后发放', en: 'On confirmation' },
};

/** Seconds as an officer reads them: 42 秒, 3.5 分钟, 2.1 小时. */
function duration(seconds: number | null, t: (zh: string, en: string) => string): string {
  if (seconds === null) return '—';
  if (seconds < 10) return t(`${seconds.toFixed(1)} 秒`, `${seconds.toFixed(1)} s`);
  if (seconds < 120) return t(`${Math.round(seconds)} 秒`, `${Math.round(seconds)} s`);
  if (seconds < 7200) return t(`${(seconds / 60).toFixed(1)} 分钟`, `${(seconds / 60).toFixed(1)} min`);
  return t(`${(seconds / 3600).toFixed(1)} 小时`, `${(seconds / 3600).toFixed(1)} h`);
}

const PAGE = 20;

/** 待遇: each benefit's figures (take-up, amounts, trigger to payment) and the decisions, payees masked. */
export function Benefits() {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const [figures, setFigures] = useState<BenefitFigures[] | null>(null);
  const [benefitCode, setBenefitCode] = useState<string | undefined>();
  const [status, setStatus] = useState<BenefitStatus | undefined>();
  const [grants, setGrants] = useState<BenefitGrant[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    api.benefitFigures().then(setFigures, (e: unknown) => {
      setFigures([]);
      void message.error(errorText(e));
    });
  }, [message]);

  const load = useCallback(
    async (cursor?: string) => {
      const page = await api.benefitGrants({ benefitCode, status, cursor, limit: PAGE });
      setGrants((known) => (cursor ? [...(known ?? []), ...page.items] : page.items));
      setNext(page.next);
    },
    [benefitCode, status],
  );
  useEffect(() => {
    setGrants(null);
    load().catch((e: unknown) => {
      setGrants([]);
      void message.error(errorText(e));
    });
  }, [load, message]);

  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      await load(next);
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setLoadingMore(false);
    }
  };

  const name = (r: { nameZh: string; nameEn: string }) => (lang === 'zh' ? r.nameZh : r.nameEn);

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('待遇统计', 'Benefit figures')}>
        <Typography.Paragraph className="cs-muted">
          {t(
            '免申即享：系统根据各部门已有数据自动核定。享受率 = 已享受 ÷ 符合条件；“触发到发放”为从出生医学证明等事件到款项发出的时间。',
            'Benefits without application, decided from the departments’ data. Take-up = granted ÷ eligible; “trigger to payment” is the time from the event (a birth certificate…) to the payment sent.',
          )}
        </Typography.Paragraph>
        <div data-testid="benefit-figures">
          <Table<BenefitFigures>
            rowKey="benefitCode"
            loading={figures === null}
            dataSource={figures ?? []}
            pagination={false}
            size="middle"
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty description={t('暂无数据', 'No figures')} /> }}
            columns={[
              {
                title: t('待遇', 'Benefit'),
                render: (_, r) => (
                  <Space direction="vertical" size={0}>
                    <span>{name(r)}</span>
                    <span className="cs-muted">{MODE[r.mode] ? pick(MODE[r.mode]!) : r.mode}</span>
                  </Space>
                ),
              },
              {
                title: t('享受率', 'Take-up'),
                render: (_, r) => (r.takeUp === null ? '—' : `${(r.takeUp * 100).toFixed(1)}%`),
              },
              { title: t('已享受', 'Granted'), dataIndex: 'granted' },
              { title: t('符合条件', 'Eligible'), dataIndex: 'eligible' },
              { title: t('待确认', 'Offered'), dataIndex: 'offered' },
              { title: t('退出 / 放弃', 'Opted out / declined'), render: (_, r) => `${r.optedOut} / ${r.declined}` },
              { title: t('未符合条件', 'Refused'), dataIndex: 'refused' },
              { title: t('核定金额', 'Granted amount'), render: (_, r) => yuan(r.grantedFen) },
              {
                title: t('已发放金额', 'Paid (payments)'),
                render: (_, r) => t(`${yuan(r.paidFen)}（${r.paymentsSent} 笔）`, `${yuan(r.paidFen)} (${r.paymentsSent})`),
              },
              {
                title: t('触发到发放 p50 / p90', 'Trigger to payment p50 / p90'),
                render: (_, r) => `${duration(r.triggerToPaymentSeconds.p50, t)} / ${duration(r.triggerToPaymentSeconds.p90, t)}`,
              },
            ]}
          />
        </div>
      </Card>
      <Card
        title={t('核定记录', 'Decisions')}
        extra={
          <Space wrap>
            <Select<string>
              style={{ minWidth: 180 }}
              aria-label={t('待遇', 'Benefit')}
              value={benefitCode ?? ''}
              onChange={(v) => setBenefitCode(v || undefined)}
              options={[
                { value: '', label: t('全部待遇', 'Every benefit') },
                ...(figures ?? []).map((f) => ({ value: f.benefitCode, label: name(f) })),
              ]}
            />
            <Select<BenefitStatus | ''>
              style={{ minWidth: 140 }}
              aria-label={t('状态', 'Status')}
              value={status ?? ''}
              onChange={(v) => setStatus(v || undefined)}
              options={[
                { value: '' as const, label: t('全部状态', 'Every status') },
                ...(Object.keys(STATUS) as BenefitStatus[]).map((s) => ({ value: s, label: pick(STATUS[s]) })),
              ]}
            />
          </Space>
        }
      >
        <div data-testid="benefit-grants">
          <Table<BenefitGrant>
            rowKey="id"
            loading={grants === null}
            dataSource={grants ?? []}
            pagination={false}
            size="middle"
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty description={t('没有核定记录', 'No decisions')} /> }}
            columns={[
              { title: t('待遇', 'Benefit'), render: (_, r) => name(r) },
              { title: t('领取人', 'Payee'), dataIndex: 'payeeMasked' },
              { title: t('金额', 'Amount'), render: (_, r) => (r.amountFen === null ? '—' : yuan(r.amountFen)) },
              {
                title: t('状态', 'Status'),
                render: (_, r) => <Tag color={STATUS[r.status].color}>{pick(STATUS[r.status])}</Tag>,
              },
              {
                title: t('规则版本', 'Rule version'),
                render: (_, r) => (
                  <Typography.Text code>
                    {r.rule.code} v{r.rule.version}
                  </Typography.Text>
                ),
              },
              { title: t('核定时间', 'Decided'), render: (_, r) => formatDateTime(r.decidedAt, lang) },
            ]}
          />
        </div>
        {next && (
          <div style={{ textAlign: 'center', marginTop: 16 }}>
            <Button onClick={() => void more()} loading={loadingMore} data-testid="grants-more">
              {t('加载更多', 'Load more')}
            </Button>
          </div>
        )}
      </Card>
    </Space>
  );
}
