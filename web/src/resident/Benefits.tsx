import { Button, Dialog, DotLoading, Empty, List, Result, Space, Tag, TextArea, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { BenefitGrant, BenefitMode } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate, formatDateTime } from './context.ts';
import { yuan } from '../shared/money.ts';
import './benefits.css';

type Words = { zh: string; en: string };
type TagColor = 'default' | 'primary' | 'success' | 'warning' | 'danger';

const MODE: Record<BenefitMode, Words & { color: TagColor }> = {
  grant: { zh: '免申即享', en: 'Automatic', color: 'success' },
  process: { zh: '免申即办', en: 'Processed for you', color: 'primary' },
  confirm: { zh: '确认后发放', en: 'Confirm to receive', color: 'warning' },
};

const PAYMENT: Record<BenefitGrant['payments'][number]['status'], Words> = {
  pending: { zh: '待发放', en: 'Pending' },
  sent: { zh: '已发放', en: 'Paid' },
  cancelled: { zh: '已取消', en: 'Cancelled' },
  refused: { zh: '银行退回', en: 'Refused by the bank' },
  held: { zh: '待绑定账号后发放', en: 'Paid once you have an account' },
};

const SCHEDULE: Record<BenefitGrant['schedule'], Words> = {
  once: { zh: '一次性', en: 'One-off' },
  monthly: { zh: '按月发放', en: 'Monthly' },
  yearly: { zh: '按年发放', en: 'Yearly' },
};

/** The status as the resident reads it: a grant is 已发放 once a payment went out, 已核定 before. */
function statusOf(g: BenefitGrant): Words & { color: TagColor } {
  switch (g.status) {
    case 'offered':
      return { zh: '待确认', en: 'Awaiting you', color: 'warning' };
    case 'granted':
      return g.payments.some((p) => p.status === 'sent')
        ? { zh: '已发放', en: 'Paid', color: 'success' }
        : { zh: '已核定', en: 'Granted', color: 'primary' };
    case 'declined':
      return { zh: '已放弃', en: 'Declined', color: 'default' };
    case 'opted_out':
      return { zh: '已退出', en: 'Opted out', color: 'default' };
    case 'stopped':
      return { zh: '已停发', en: 'Stopped', color: 'default' };
    case 'refused':
      return { zh: '未符合条件', en: 'Not eligible', color: 'danger' };
  }
}

function Tags({ g }: { g: BenefitGrant }) {
  const { pick } = useI18n();
  const status = statusOf(g);
  return (
    <Space wrap style={{ '--gap': '6px' }}>
      <Tag color={MODE[g.mode].color} fill="outline">
        {pick(MODE[g.mode])}
      </Tag>
      <span data-testid="benefit-status" data-status={g.status}>
        <Tag color={status.color}>{pick(status)}</Tag>
      </span>
    </Space>
  );
}

/** 我的待遇: what the platform granted, offered or refused without an application. */
export function BenefitList() {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<BenefitGrant[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.myBenefits().then(setItems, (e: unknown) => setError(errorText(e)));
  }, []);
  if (error) return <Result status="error" title={error} />;
  if (!items)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  return (
    <div className="rs-page">
      <div className="bf-intro">
        <h2>{t('免申即享', 'Benefits without applying')}</h2>
        <p>
          {t(
            '符合条件的待遇由各部门根据已有数据自动核定，无需申请；需要您确认的会在这里提示。',
            'The departments decide the benefits you qualify for from the data they already hold, with no application; the ones that need your confirmation wait here.',
          )}
        </p>
      </div>
      {items.length === 0 ? (
        <Empty description={t('暂无待遇', 'No benefits yet')} />
      ) : (
        items.map((g) => (
          <button
            key={g.id}
            type="button"
            className={`bf-card ${g.status === 'refused' || g.status === 'declined' || g.status === 'opted_out' || g.status === 'stopped' ? 'bf-card-off' : ''}`}
            onClick={() => navigate(`/benefits/${g.id}`)}
            data-testid="benefit-item"
            data-code={g.benefitCode}
            data-status={g.status}
          >
            <span className="bf-card-name">{lang === 'zh' ? g.nameZh : g.nameEn}</span>
            <span className="bf-card-amount">{g.amountFen === null ? '' : yuan(g.amountFen)}</span>
            <Tags g={g} />
            <span className="bf-card-date">{formatDate(g.decidedAt, lang)}</span>
          </button>
        ))
      )}
    </div>
  );
}

/** One benefit: amount, basis, why, payments, and what the resident may do with it. */
export function BenefitView({ id }: { id: string }) {
  const { t, lang, pick } = useI18n();
  const [g, setG] = useState<BenefitGrant | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');

  const load = useCallback(() => {
    api.myBenefit(id).then(setG, (e: unknown) => setError(errorText(e)));
  }, [id]);
  useEffect(load, [load]);

  if (error) return <Result status="error" title={error} />;
  if (!g)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  const name = lang === 'zh' ? g.nameZh : g.nameEn;

  /** Runs one action; the answer is the decision as it now is (opt-out answers every one of the benefit). */
  const act = async (run: () => Promise<BenefitGrant | BenefitGrant[]>, done: string) => {
    setBusy(true);
    try {
      const answer = await run();
      setG(Array.isArray(answer) ? (answer.find((x) => x.id === g.id) ?? g) : answer);
      Toast.show({ icon: 'success', content: done });
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  const ask = (content: string) => Dialog.confirm({ content, confirmText: t('确定', 'OK'), cancelText: t('取消', 'Cancel') });

  const decline = async () => {
    if (!(await ask(t(`确定放弃「${g.nameZh}」？放弃后不再发放。`, `Decline "${g.nameEn}"? It will not be paid.`)))) return;
    await act(() => api.declineBenefit(g.id), t('已放弃', 'Declined'));
  };
  const optOut = async () => {
    if (!(await ask(t(`确定不再享受「${g.nameZh}」？以后的发放将停止。`, `Stop receiving "${g.nameEn}"? Later payments stop.`)))) return;
    await act(() => api.optOutBenefit(g.benefitCode), t('已退出', 'Opted out'));
  };
  const review = async () => {
    await act(() => api.reviewBenefit(g.id, reason.trim()), t('已申请复核', 'Review requested'));
  };

  return (
    <div className="rs-page" data-testid="benefit-detail" data-status={g.status}>
      <div className="bf-head">
        <h2>{name}</h2>
        {g.amountFen !== null && (
          <div className="bf-amount" data-testid="benefit-amount">
            {yuan(g.amountFen)}
          </div>
        )}
        <Tags g={g} />
        <div className="bf-sub">
          {pick(SCHEDULE[g.schedule])} · {t('核定时间', 'Decided')} {formatDateTime(g.decidedAt, lang)}
        </div>
      </div>

      <div data-testid="benefit-basis">
        <List header={t('依据', 'Basis')}>
          {g.basis ? (
            <List.Item description={<span className="rs-wrap">{lang === 'zh' ? g.basis.articleZh : g.basis.articleEn}</span>}>
              <span className="rs-wrap">{lang === 'zh' ? g.basis.titleZh : g.basis.titleEn}</span>
            </List.Item>
          ) : (
            <List.Item>{t('未载明法律依据', 'No legal basis recorded')}</List.Item>
          )}
          <List.Item extra={`${g.rule.code} · v${g.rule.version}`}>{t('核定规则', 'Rule')}</List.Item>
        </List>
      </div>

      <div data-testid="benefit-why">
        <List header={t('为什么', 'Why')}>
          {g.status === 'refused' || g.why.failed.length > 0 || g.why.missing.length > 0 || g.why.unavailable.length > 0 ? (
            <>
              {g.why.failed.map((c) => (
                <List.Item key={c.id} prefix={<span aria-hidden="true">✕</span>}>
                  <span className="rs-wrap" data-testid="why-failed">
                    {t('未符合：', 'Not met: ')}
                    {pick(c)}
                  </span>
                </List.Item>
              ))}
              {g.why.missing.map((m) => (
                <List.Item key={`missing-${m}`} prefix={<span aria-hidden="true">?</span>}>
                  {t(`缺少数据：${m}`, `Missing data: ${m}`)}
                </List.Item>
              ))}
              {g.why.unavailable.map((u) => (
                <List.Item key={`unavailable-${u.dataset}`} prefix={<span aria-hidden="true">!</span>}>
                  <span className="rs-wrap" data-testid="why-unavailable">
                    {t('暂时无法读取数据', 'Data could not be read')}（{u.dataset}）：{pick(u.reason)}
                  </span>
                </List.Item>
              ))}
            </>
          ) : (
            <List.Item prefix={<span aria-hidden="true">✓</span>}>
              {t('符合全部条件，由部门根据已有数据自动核定', 'Every condition met: decided from the data the departments hold')}
            </List.Item>
          )}
          {g.caseId && (
            <List.Item onClick={() => navigate(`/cases/${g.caseId}`)} arrowIcon>
              {t('查看办件', 'See the case')}
            </List.Item>
          )}
        </List>
      </div>

      {g.payments.length > 0 && (
        <div data-testid="benefit-payments">
          <List header={t('发放记录', 'Payments')}>
            {g.payments.map((p) => (
              <List.Item
                key={p.period}
                extra={yuan(p.amountFen)}
                description={`${pick(PAYMENT[p.status])}${p.sentAt ? ` · ${formatDateTime(p.sentAt, lang)}` : ''}`}
              >
                {p.period === 'once' ? t('一次性发放', 'One-off payment') : p.period}
              </List.Item>
            ))}
          </List>
        </div>
      )}

      {g.reviewCaseId && (
        <div data-testid="benefit-review">
          <List header={t('人工复核', 'Review')}>
            <List.Item
              onClick={() => navigate(`/cases/${g.reviewCaseId}`)}
              arrowIcon
              extra={<Tag color="primary">{t('已申请复核', 'Review requested')}</Tag>}
            >
              {t('复核办件', 'Review case')}
            </List.Item>
          </List>
        </div>
      )}

      <div className="bf-actions">
        {g.actions.confirm && (
          <Button
            block
            color="primary"
            size="large"
            loading={busy}
            onClick={() => void act(() => api.confirmBenefit(g.id), t('已确认领取', 'Confirmed'))}
          >
            {t('确认领取', 'Confirm and receive')}
          </Button>
        )}
        {g.actions.decline && (
          <Button block size="large" color="danger" fill="outline" disabled={busy} onClick={() => void decline()}>
            {t('放弃', 'Decline')}
          </Button>
        )}
        {g.actions.optOut && (
          <Button block size="large" disabled={busy} onClick={() => void optOut()}>
            {t('不再享受', 'Opt out')}
          </Button>
        )}
        {g.actions.review && (
          <div className="bf-review">
            <label htmlFor="benefit-review-reason">{t('对结果有异议？申请人工复核', 'Disagree? Ask a person to review')}</label>
            <TextArea
              id="benefit-review-reason"
              placeholder={t('请说明理由，如：我一直正常缴费', 'Tell us why, e.g. my contributions were paid')}
              value={reason}
              onChange={setReason}
              maxLength={500}
              rows={3}
              showCount
            />
            <Button block color="primary" size="large" loading={busy} disabled={reason.trim() === ''} onClick={() => void review()}>
              {t('申请人工复核', 'Request a review')}
            </Button>
          </div>
        )}
      </div>
    </div>
  );
}
