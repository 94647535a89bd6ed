import { App as AntApp, Alert, Button, Card, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import type { OpenRemoteSettlement, OpenRemoteSettlements } from '../shared/insurance-api.ts';
import { errorText, formatDateTime, insuranceApi } from './context.ts';

const STATE: Record<OpenRemoteSettlement['state'], { zh: string; en: string; color: string }> = {
  pending: { zh: '待医院重试', en: 'Hospital may retry', color: 'gold' },
  abandoning: { zh: '待参保地撤回', en: 'Awaiting withdrawal', color: 'red' },
};

/**
 * 跨省在途结算: cross-province settlements of the office's hospitals that the place of insurance was
 * asked for and this node has not closed. A pending one is withdrawn automatically when the hospital
 * has not retried it by its time; an abandoning one waits for its place of insurance to take it back
 * (asked again automatically, less often the longer it is down). 立即重试 asks now.
 */
export function InsuranceCrossProvince() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [data, setData] = useState<OpenRemoteSettlements | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    insuranceApi.openCrossProvince().then(
      (r) => {
        setData(r);
        setError(null);
      },
      (e: unknown) => {
        setData({ pending: 0, abandoning: 0, items: [] });
        setError(errorText(e));
      },
    );
  }, []);
  useEffect(load, [load]);

  const retry = async (callId: string) => {
    setBusy(callId);
    try {
      const r = await insuranceApi.retryCrossProvince(callId);
      if (r.reached) void message.success(t('参保地已撤回该结算', 'The place of insurance took the settlement back'));
      else
        void message.warning(
          t(
            `参保地暂时无法访问，已记录；${r.nextStepAt ? formatDateTime(r.nextStepAt, lang) : '稍后'}自动再试`,
            `The place of insurance cannot be reached; recorded, tried again ${r.nextStepAt ? `at ${formatDateTime(r.nextStepAt, lang)}` : 'later'}`,
          ),
        );
      load();
    } catch (e) {
      void message.error(errorText(e));
      load();
    } finally {
      setBusy(null);
    }
  };

  const due = (r: OpenRemoteSettlement) => r.state === 'abandoning' || (r.nextStepAt !== null && Date.parse(r.nextStepAt) <= Date.now());

  return (
    <Card title={t('跨省在途结算', 'Open cross-province settlements')}>
      <Typography.Paragraph className="cs-muted">
        {t(
          '本地医院已向参保地发起、本节点尚未完成的跨省结算。医院在期限内未重试的，系统自动撤回；参保地无法访问时按逐渐延长的间隔自动再试。“立即重试”不等下次自动重试，发起人记入账本。不含个人信息。',
          'Cross-province settlements your hospitals asked a place of insurance for that this node has not completed. One the hospital does not retry in time is withdrawn automatically; an unreachable place of insurance is asked again at growing intervals. “Retry now” does not wait; who asked goes to the ledger. No personal data is shown.',
        )}
      </Typography.Paragraph>
      {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
      <Space size="large" className="cs-stats" style={{ marginBottom: 16 }} data-testid="cross-province-counts">
        <Statistic title={t('待医院重试', 'Hospital may retry')} value={data?.pending ?? '—'} />
        <Statistic title={t('待参保地撤回', 'Awaiting withdrawal')} value={data?.abandoning ?? '—'} />
      </Space>
      <div data-testid="cross-province-open">
        <Table<OpenRemoteSettlement>
          rowKey="callId"
          loading={data === null}
          dataSource={data?.items ?? []}
          pagination={false}
          size="middle"
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('没有在途的跨省结算', 'No open cross-province settlements') }}
          columns={[
            {
              title: t('状态', 'State'),
              render: (_, r) => <Tag color={STATE[r.state].color}>{t(STATE[r.state].zh, STATE[r.state].en)}</Tag>,
            },
            { title: t('医院', 'Hospital'), render: (_, r) => r.institutionName ?? r.institutionCode },
            { title: t('就诊编号', 'Encounter'), dataIndex: 'mdtrtId' },
            { title: t('参保地', 'Insured in'), render: (_, r) => r.insuranceRegionName ?? r.insuranceRegion },
            { title: t('发起时间', 'Started'), render: (_, r) => formatDateTime(r.createdAt, lang) },
            { title: t('最近变化', 'Last change'), render: (_, r) => formatDateTime(r.lastChangedAt, lang) },
            {
              title: t('下一步', 'Next step'),
              render: (_, r) =>
                r.nextStepAt === null
                  ? '—'
                  : `${formatDateTime(r.nextStepAt, lang)} ${r.state === 'pending' ? t('未重试则撤回', 'withdrawn unless retried') : t('自动再试', 'asked again')}`,
            },
            {
              title: t('操作', 'Action'),
              key: 'retry',
              render: (_, r) => {
                const button = (
                  <Button size="small" loading={busy === r.callId} disabled={!due(r)} onClick={() => void retry(r.callId)}>
                    {t('立即重试', 'Retry now')}
                  </Button>
                );
                return due(r) ? (
                  button
                ) : (
                  <Tooltip title={t('医院仍可重试，到期前不撤回', 'The hospital may still retry it')}>{button}</Tooltip>
                );
              },
            },
          ]}
        />
      </div>
    </Card>
  );
}
