import { DotLoading, Empty, List, Result, Tag } from 'antd-mobile';
import { useEffect, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import type {
  FilingKind,
  InsuranceExplanation,
  InsuranceScheme,
  InsuranceSettlement,
  InsuredStatus,
  MyInsurance,
} from '../shared/insurance-api.ts';
import { statementUrl } from '../shared/insurance-api.ts';
import { yuan } from '../shared/money.ts';
import { navigate } from '../shared/router.tsx';
import { errorText, formatDate, formatDateTime, insuranceApi } from './context.ts';
import './insurance.css';

type Words = { zh: string; en: string };

const SCHEME: Record<InsuranceScheme, Words> = {
  employee: { zh: '职工基本医疗保险', en: 'Employees’ basic medical insurance' },
  resident: { zh: '城乡居民基本医疗保险', en: 'Urban and rural residents’ basic medical insurance' },
};

const STATUS: Record<InsuredStatus, Words & { color: 'success' | 'warning' | 'default' }> = {
  active: { zh: '正常参保', en: 'Insured', color: 'success' },
  suspended: { zh: '暂停参保', en: 'Suspended', color: 'warning' },
  ended: { zh: '终止参保', en: 'Ended', color: 'default' },
};

const FILING: Record<FilingKind, Words> = {
  long_term_residence: { zh: '异地长期居住', en: 'Living elsewhere' },
  temporary: { zh: '临时外出就医', en: 'Temporary treatment elsewhere' },
  emergency: { zh: '急诊抢救', en: 'Emergency' },
};

/** The catalogue item that files treatment in another province (异地就医备案). */
const OFFSITE_FILING = 'medsec.offsite_filing';

function Loading() {
  return (
    <div className="rs-center">
      <DotLoading />
    </div>
  );
}

function settlementTitle(s: InsuranceSettlement, t: (zh: string, en: string) => string): string {
  return s.institutionName ?? t(`定点医疗机构 ${s.institutionCode}`, `Institution ${s.institutionCode}`);
}

/** 我的医保: coverage, this year's totals, filings and settlements. */
export function InsuranceHome() {
  const { t, lang, pick } = useI18n();
  const [data, setData] = useState<MyInsurance | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    insuranceApi.mine().then(setData, (e: unknown) => setError(errorText(e)));
  }, []);
  if (error) return <Result status="error" title={error} />;
  if (!data) return <Loading />;
  if (!data.insured)
    return (
      <div className="rs-page" data-testid="insurance-home" data-insured="false">
        <Empty description={t('未查到您的参保信息', 'No medical insurance coverage found for you')} />
      </div>
    );
  const status = STATUS[data.status];
  return (
    <div className="rs-page" data-testid="insurance-home" data-insured="true">
      <div className="ins-card" data-testid="insurance-coverage">
        <div className="ins-card-scheme">{pick(SCHEME[data.scheme])}</div>
        <Tag color={status.color}>{pick(status)}</Tag>
        <dl className="ins-facts">
          <dt>{t('参保人', 'Insured')}</dt>
          <dd>
            {data.name}（{data.idMasked}）
          </dd>
          <dt>{t('参保地', 'Place of insurance')}</dt>
          <dd>{data.regionName ? `${data.regionName}（${data.region}）` : data.region}</dd>
          <dt>{t('人员编号', 'Person number')}</dt>
          <dd>{data.psnNo}</dd>
          {data.scheme === 'employee' && (
            <>
              <dt>{t('个人账户余额', 'Personal account')}</dt>
              <dd data-testid="insurance-account">{yuan(data.accountBalanceFen)}</dd>
            </>
          )}
        </dl>
      </div>

      <div data-testid="insurance-year">
        <List header={t(`${data.year.year} 年度累计`, `${data.year.year} so far`)}>
          <List.Item extra={yuan(data.year.deductibleUsedFen)}>{t('已计起付线', 'Deductible used')}</List.Item>
          <List.Item extra={yuan(data.year.fundPaidFen)}>{t('统筹基金已支付', 'Paid by the fund')}</List.Item>
          {data.scheme === 'employee' && (
            <List.Item extra={yuan(data.year.accountPaidFen)}>{t('个人账户已支付', 'Paid from the account')}</List.Item>
          )}
          <List.Item extra={t(`${data.year.stays} 次`, String(data.year.stays))}>{t('住院次数', 'Hospital stays')}</List.Item>
        </List>
      </div>

      <div data-testid="insurance-filings">
        <List header={t('异地就医备案', 'Treatment elsewhere (filings)')}>
          {data.filings.map((f) => (
            <List.Item
              key={f.id}
              description={`${formatDate(f.startDate, lang)} – ${f.endDate ? formatDate(f.endDate, lang) : t('长期', 'open-ended')}`}
              extra={f.destination}
            >
              {pick(FILING[f.kind])}
            </List.Item>
          ))}
          {data.filings.length === 0 && <List.Item>{t('暂无备案', 'No filings')}</List.Item>}
          <List.Item arrowIcon onClick={() => navigate(`/apply/${OFFSITE_FILING}`)} data-testid="insurance-apply-filing">
            {t('申请异地就医备案', 'File treatment in another province')}
          </List.Item>
        </List>
      </div>

      <div data-testid="insurance-settlements">
        <List header={t('结算记录', 'Settlements')}>
          {data.settlements.map((s) => (
            <List.Item
              key={s.setlId}
              arrowIcon
              onClick={() => navigate(`/insurance/settlements/${s.setlId}`)}
              description={`${formatDateTime(s.settledAt, lang)} · ${t('基金支付', 'fund')} ${yuan(s.amounts.hifp_pay)}`}
              extra={
                <span className="ins-amount">
                  {yuan(s.amounts.medfee_sumamt)}
                  {s.status === 'cancelled' && <Tag className="ins-tag">{t('已撤销', 'Cancelled')}</Tag>}
                </span>
              }
            >
              <span data-testid="insurance-settlement-item" data-setl-id={s.setlId}>
                {settlementTitle(s, t)}
              </span>
            </List.Item>
          ))}
          {data.settlements.length === 0 && <List.Item>{t('暂无结算记录', 'No settlements yet')}</List.Item>}
        </List>
      </div>
    </div>
  );
}

function Why({ why, testId }: { why: InsuranceExplanation[]; testId: string }) {
  const { pick, t } = useI18n();
  return (
    <ul className="ins-why" data-testid={testId}>
      {why.map((w, i) => (
        <li key={`${w.rule}-${i}`} data-rule={w.rule}>
          <span>{pick(w)}</span>
          <span className="ins-why-basis">
            {t('政策版本', 'Policy')} {w.policy} · {t('依据', 'Basis')}：{w.basis}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** One settlement: what the fund, the account and the insured paid, each line and why. */
export function SettlementDetail({ setlId }: { setlId: string }) {
  const { t, lang } = useI18n();
  const [s, setS] = useState<InsuranceSettlement | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    insuranceApi.settlement(setlId).then(setS, (e: unknown) => setError(errorText(e)));
  }, [setlId]);
  if (error) return <Result status="error" title={error} />;
  if (!s) return <Loading />;
  const a = s.amounts;
  return (
    <div className="rs-page" data-testid="settlement-detail" data-status={s.status}>
      <div className="ins-card">
        <div className="ins-card-scheme">{settlementTitle(s, t)}</div>
        <div className="ins-total" data-testid="settlement-total">
          {yuan(a.medfee_sumamt)}
        </div>
        <div className="ins-sub">
          {formatDateTime(s.settledAt, lang)} · {t('政策版本', 'Policy')} {s.policyVersion}
          {s.status === 'cancelled' && ` · ${t('已撤销', 'Cancelled')}`}
        </div>
      </div>
      <div data-testid="settlement-amounts">
        <List header={t('费用构成', 'How it was paid')}>
          <List.Item extra={yuan(a.hifp_pay)}>{t('统筹基金支付', 'Paid by the fund')}</List.Item>
          <List.Item extra={yuan(a.acct_pay)}>{t('个人账户支付', 'Paid from the personal account')}</List.Item>
          <List.Item extra={yuan(a.psn_cash_pay)}>{t('个人现金支付', 'Paid in cash')}</List.Item>
          <List.Item extra={yuan(a.act_pay_dedc)}>{t('其中起付线', 'of which the deductible')}</List.Item>
          <List.Item extra={yuan(a.inscp_scp_amt)}>{t('符合范围费用', 'In scope')}</List.Item>
          <List.Item extra={yuan(a.preselfpay_amt)}>{t('乙类先行自付', 'Class B paid first')}</List.Item>
          <List.Item extra={yuan(a.overlmt_selfpay)}>{t('超限价自付', 'Above the price limit')}</List.Item>
          <List.Item extra={yuan(a.fulamt_ownpay_amt)}>{t('全自费', 'Not covered')}</List.Item>
        </List>
      </div>
      <List header={t('为什么这样结算', 'Why')}>
        <List.Item>
          <Why why={s.why} testId="settlement-why" />
        </List.Item>
      </List>
      <div data-testid="settlement-lines">
        <List header={t(`费用明细（${s.lines.length} 项）`, `Fee lines (${s.lines.length})`)}>
          {s.lines.map((l) => (
            <List.Item key={l.id} data-testid="settlement-line" data-line={l.id}>
              <div className="ins-line-head">
                <span>
                  {t('明细', 'Line')} {l.id}
                </span>
                <span className="ins-amount">{yuan(l.totalFen)}</span>
              </div>
              <div className="ins-line-parts">
                {t('符合范围', 'In scope')} {yuan(l.inscpFen)}
                {l.preselfpayFen > 0 && ` · ${t('先行自付', 'paid first')} ${yuan(l.preselfpayFen)}`}
                {l.overlmtSelfpayFen > 0 && ` · ${t('超限价', 'over limit')} ${yuan(l.overlmtSelfpayFen)}`}
                {l.fulamtOwnpayFen > 0 && ` · ${t('全自费', 'not covered')} ${yuan(l.fulamtOwnpayFen)}`}
              </div>
              <Why why={l.why} testId="settlement-line-why" />
            </List.Item>
          ))}
        </List>
      </div>
      {s.certificateId && (
        <List header={t('结算单', 'Statement')}>
          <List.Item>
            <a href={statementUrl(s.setlId)} target="_blank" rel="noopener" data-testid="settlement-statement">
              {t('查看结算单（电子签章）', 'Open the sealed settlement statement')}
            </a>
          </List.Item>
        </List>
      )}
    </div>
  );
}
