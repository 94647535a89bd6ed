import { App as AntApp, Button, Card, Descriptions, Empty, Result, Spin, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import { statementUrl, type InsuranceExplanation, type InsuranceSettlement } from '../shared/insurance-api.ts';
import { yuan } from '../shared/money.ts';
import { navigate } from '../shared/router.tsx';
import { errorText, formatDateTime, insuranceApi } from './context.ts';

const PAGE = 50;

function StatusTag({ s }: { s: InsuranceSettlement }) {
  const { t } = useI18n();
  return s.status === 'settled' ? <Tag color="green">{t('已结算', 'Settled')}</Tag> : <Tag>{t('已撤销', 'Cancelled')}</Tag>;
}

/** 结算: the settlements of the regions the office runs, newest first. */
export function InsuranceSettlements() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [rows, setRows] = useState<InsuranceSettlement[] | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (before?: string) => {
    const page = await insuranceApi.settlements({ before, limit: PAGE });
    setRows((known) => (before ? [...(known ?? []), ...page] : page));
    setMore(page.length === PAGE);
  }, []);
  useEffect(() => {
    load().catch((e: unknown) => {
      setRows([]);
      void message.error(errorText(e));
    });
  }, [load, message]);

  const next = async () => {
    const last = rows?.at(-1);
    if (!last) return;
    setLoading(true);
    try {
      await load(last.settledAt);
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setLoading(false);
    }
  };

  return (
    <Card title={t('结算记录', 'Settlements')}>
      <div data-testid="insurance-settlements">
        <Table<InsuranceSettlement>
          rowKey="setlId"
          loading={rows === null}
          dataSource={rows ?? []}
          pagination={false}
          size="middle"
          locale={{ emptyText: <Empty description={t('暂无结算记录', 'No settlements')} /> }}
          onRow={(r) => ({ onClick: () => navigate(`/console/insurance/settlements/${r.setlId}`), style: { cursor: 'pointer' } })}
          columns={[
            {
              title: t('结算编号', 'Settlement'),
              render: (_, r) => (
                <Typography.Link className="cs-break" onClick={() => navigate(`/console/insurance/settlements/${r.setlId}`)}>
                  {r.setlId}
                </Typography.Link>
              ),
            },
            { title: t('定点机构', 'Institution'), render: (_, r) => r.institutionName ?? r.institutionCode },
            { title: t('参保地 / 就医地', 'Insured / treated'), render: (_, r) => `${r.insuranceRegion} / ${r.treatmentRegion}` },
            { title: t('医疗费总额', 'Total'), align: 'right', render: (_, r) => yuan(r.amounts.medfee_sumamt) },
            { title: t('基金支付', 'Fund'), align: 'right', render: (_, r) => yuan(r.amounts.hifp_pay) },
            { title: t('个人账户', 'Account'), align: 'right', render: (_, r) => yuan(r.amounts.acct_pay) },
            { title: t('个人现金', 'Cash'), align: 'right', render: (_, r) => yuan(r.amounts.psn_cash_pay) },
            { title: t('政策版本', 'Policy'), dataIndex: 'policyVersion' },
            { title: t('状态', 'Status'), render: (_, r) => <StatusTag s={r} /> },
            { title: t('结算时间', 'Settled'), render: (_, r) => formatDateTime(r.settledAt, lang) },
          ]}
        />
      </div>
      {more && (
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          <Button onClick={() => void next()} loading={loading}>
            {t('加载更多', 'Load more')}
          </Button>
        </div>
      )}
    </Card>
  );
}

function Why({ why }: { why: InsuranceExplanation[] }) {
  const { pick, t } = useI18n();
  return (
    <ul className="cs-why">
      {why.map((w, i) => (
        <li key={`${w.rule}-${i}`} data-rule={w.rule}>
          {pick(w)}
          <br />
          <Typography.Text type="secondary">
            {t('政策版本', 'Policy')} {w.policy} · {t('依据', 'Basis')}：{w.basis}
          </Typography.Text>
        </li>
      ))}
    </ul>
  );
}

/** One settlement with its parts, each line and why. */
export function InsuranceSettlementDetail({ setlId }: { setlId: string }) {
  const { t, lang } = useI18n();
  const [s, setS] = useState<InsuranceSettlement | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setS(null);
    insuranceApi.settlement(setlId).then(setS, (e: unknown) => setError(errorText(e)));
  }, [setlId]);
  if (error) return <Result status="warning" title={error} />;
  if (!s) return <Spin />;
  const a = s.amounts;
  return (
    <Card
      data-testid="insurance-settlement-detail"
      title={
        <span>
          {t('结算详情', 'Settlement')} <Typography.Text code>{s.setlId}</Typography.Text> <StatusTag s={s} />
        </span>
      }
      extra={<Button onClick={() => navigate('/console/insurance/settlements')}>{t('返回列表', 'Back to the list')}</Button>}
    >
      <Descriptions size="small" column={{ xs: 1, md: 2, lg: 3 }} bordered>
        <Descriptions.Item label={t('定点机构', 'Institution')}>
          {s.institutionName ?? '—'}（{s.institutionCode}）
        </Descriptions.Item>
        <Descriptions.Item label={t('就诊编号', 'Encounter')}>{s.mdtrtId}</Descriptions.Item>
        <Descriptions.Item label={t('参保地 / 就医地', 'Insured / treated')}>
          {s.insuranceRegion} / {s.treatmentRegion}
        </Descriptions.Item>
        <Descriptions.Item label={t('政策版本', 'Policy')}>{s.policyVersion}</Descriptions.Item>
        <Descriptions.Item label={t('结算时间', 'Settled')}>{formatDateTime(s.settledAt, lang)}</Descriptions.Item>
        {s.cancelledAt && <Descriptions.Item label={t('撤销时间', 'Cancelled')}>{formatDateTime(s.cancelledAt, lang)}</Descriptions.Item>}
        <Descriptions.Item label={t('医疗费总额', 'Total')}>{yuan(a.medfee_sumamt)}</Descriptions.Item>
        <Descriptions.Item label={t('统筹基金支付', 'Fund')}>
          <span data-testid="settlement-fund">{yuan(a.hifp_pay)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('个人账户支付', 'Account')}>{yuan(a.acct_pay)}</Descriptions.Item>
        <Descriptions.Item label={t('个人现金支付', 'Cash')}>{yuan(a.psn_cash_pay)}</Descriptions.Item>
        <Descriptions.Item label={t('起付线', 'Deductible')}>{yuan(a.act_pay_dedc)}</Descriptions.Item>
        <Descriptions.Item label={t('符合范围', 'In scope')}>{yuan(a.inscp_scp_amt)}</Descriptions.Item>
        <Descriptions.Item label={t('乙类先行自付', 'Class B first')}>{yuan(a.preselfpay_amt)}</Descriptions.Item>
        <Descriptions.Item label={t('超限价自付', 'Over limit')}>{yuan(a.overlmt_selfpay)}</Descriptions.Item>
        <Descriptions.Item label={t('全自费', 'Not covered')}>{yuan(a.fulamt_ownpay_amt)}</Descriptions.Item>
        {s.certificateId && (
          <Descriptions.Item label={t('结算单', 'Statement')}>
            <a href={statementUrl(s.setlId)} target="_blank" rel="noopener">
              {t('查看结算单', 'Open the statement')}
            </a>
          </Descriptions.Item>
        )}
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('结算说明', 'Why')}
      </Typography.Title>
      <div data-testid="settlement-why">
        <Why why={s.why} />
      </div>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('费用明细', 'Fee lines')}
      </Typography.Title>
      <div data-testid="settlement-lines">
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={s.lines}
          columns={[
            { title: t('明细号', 'Line'), dataIndex: 'id' },
            { title: t('金额', 'Amount'), align: 'right', render: (_, l) => yuan(l.totalFen) },
            { title: t('符合范围', 'In scope'), align: 'right', render: (_, l) => yuan(l.inscpFen) },
            { title: t('先行自付', 'Paid first'), align: 'right', render: (_, l) => yuan(l.preselfpayFen) },
            { title: t('超限价', 'Over limit'), align: 'right', render: (_, l) => yuan(l.overlmtSelfpayFen) },
            { title: t('全自费', 'Not covered'), align: 'right', render: (_, l) => yuan(l.fulamtOwnpayFen) },
            { title: t('说明', 'Why'), render: (_, l) => <Why why={l.why} /> },
          ]}
        />
      </div>
    </Card>
  );
}
