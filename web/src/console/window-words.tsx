/** 医保窗口's words and the explanation of a (pre-)settlement, shared by the window and its printed statement. */
import { Descriptions, Table } from 'antd';
import type { WindowCoverage, WindowMedType, WindowSettlement } from '../shared/api.ts';
import { yuan } from '../shared/money.ts';

export type Words = { zh: string; en: string };
export type T = (zh: string, en: string) => string;

export const MED_TYPES: Record<WindowMedType, Words> = {
  '11': { zh: '普通门诊', en: 'Outpatient' },
  '14': { zh: '门诊慢特病', en: 'Chronic disease outpatient' },
  '21': { zh: '普通住院', en: 'Inpatient' },
  '52': { zh: '生育住院', en: 'Maternity stay' },
};
export const WHERE: Record<WindowCoverage['where'], Words> = {
  local: { zh: '本地', en: 'Local' },
  province: { zh: '省内异地', en: 'Elsewhere in the province' },
  other_province: { zh: '跨省异地', en: 'Another province' },
};
export const SCHEME: Record<WindowCoverage['scheme'], Words> = {
  employee: { zh: '职工医保', en: 'Employee scheme' },
  resident: { zh: '城乡居民医保', en: 'Urban and rural residents’ scheme' },
};
export const STATUS: Record<WindowCoverage['status'], Words & { color: string }> = {
  active: { zh: '正常参保', en: 'Active', color: 'green' },
  suspended: { zh: '暂停', en: 'Suspended', color: 'orange' },
  ended: { zh: '终止', en: 'Ended', color: 'red' },
};
export const FILING_KINDS: Record<WindowCoverage['filings'][number]['kind'], Words> = {
  long_term_residence: { zh: '异地长期居住', en: 'Living elsewhere' },
  temporary: { zh: '临时外出就医', en: 'Temporary treatment' },
  emergency: { zh: '急诊抢救', en: 'Emergency' },
};

/** The parts of a (pre-)settlement and each line with why: what the clerk explains to the patient. */
export function Explanation({
  result,
  t,
  pick,
}: {
  result: Pick<WindowSettlement, 'amounts' | 'policy' | 'why' | 'lines'>;
  t: T;
  pick: (w: Words) => string;
}) {
  const a = result.amounts;
  return (
    <>
      <Descriptions size="small" column={3} bordered data-testid="window-amounts">
        <Descriptions.Item label={t('医疗费总额', 'Total')}>{yuan(a.medfee_sumamt)}</Descriptions.Item>
        <Descriptions.Item label={t('基金支付', 'Fund pays')}>{yuan(a.hifp_pay)}</Descriptions.Item>
        <Descriptions.Item label={t('个人账户', 'Personal account')}>{yuan(a.acct_pay)}</Descriptions.Item>
        <Descriptions.Item label={t('个人现金', 'Cash')}>
          <strong data-testid="window-cash">{yuan(a.psn_cash_pay)}</strong>
        </Descriptions.Item>
        <Descriptions.Item label={t('起付线', 'Deductible')}>{yuan(a.act_pay_dedc)}</Descriptions.Item>
        <Descriptions.Item label={t('全自费', 'Fully self-paid')}>{yuan(a.fulamt_ownpay_amt)}</Descriptions.Item>
        <Descriptions.Item label={t('超限价自付', 'Over the price limit')}>{yuan(a.overlmt_selfpay)}</Descriptions.Item>
        <Descriptions.Item label={t('乙类先行自付', 'Class B paid first')}>{yuan(a.preselfpay_amt)}</Descriptions.Item>
        <Descriptions.Item label={t('政策版本', 'Policy')}>{result.policy}</Descriptions.Item>
      </Descriptions>
      <Table
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={result.lines}
        data-testid="window-lines"
        columns={[
          { title: t('明细', 'Line'), render: (_, l) => l.name ?? l.id },
          { title: t('金额', 'Amount'), render: (_, l) => yuan(l.totalFen) },
          { title: t('医保范围内', 'In scope'), render: (_, l) => yuan(l.inscpFen) },
          {
            title: t('说明', 'Why'),
            render: (_, l) => (
              <ul className="cs-why">
                {l.why.map((w, i) => (
                  <li key={i}>
                    {pick(w)} <span className="cs-muted">（{w.basis}）</span>
                  </li>
                ))}
              </ul>
            ),
          },
        ]}
      />
      <ul className="cs-why">
        {result.why.map((w, i) => (
          <li key={i}>
            {pick(w)}{' '}
            <span className="cs-muted">
              （{w.policy} · {w.basis}）
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}
