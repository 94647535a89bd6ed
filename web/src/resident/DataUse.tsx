import { Button, Dialog, DotLoading, Empty, List, Tag, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { Bilingual, Exchange } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { SENSITIVITY } from './data-use-text.ts';
import './bundles.css';

const STATUS: Record<Exchange['status'], { zh: string; en: string; color: string }> = {
  pending_consent: { zh: '待您同意', en: 'Awaiting your consent', color: 'warning' },
  approved: { zh: '已同意', en: 'Consented', color: 'primary' },
  declined: { zh: '已拒绝', en: 'Declined', color: 'default' },
  completed: { zh: '已调取', en: 'Used', color: 'success' },
};

/** The case an exchange was for, as the resident knows it: its number and service. */
type CaseLabel = { caseNo: string; name: Bilingual };

/** 谁用了我的数据: every exchange about the resident — who, when, which fields, for which case. */
export function DataUse() {
  const { t, lang, pick } = useI18n();
  const [items, setItems] = useState<Exchange[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [cases, setCases] = useState<Record<string, CaseLabel>>({});

  const load = useCallback(async () => {
    try {
      const page = await api.myExchanges();
      setItems(page.items);
      setNext(page.next);
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    for (const id of new Set((items ?? []).map((x) => x.caseId))) {
      if (cases[id]) continue;
      api.case(id).then(
        (c) => setCases((known) => ({ ...known, [id]: { caseNo: c.caseNo, name: c.serviceName } })),
        () => undefined,
      );
    }
  }, [items]);

  const decide = async (x: Exchange, decision: 'approve' | 'decline') => {
    const ok = await Dialog.confirm({
      content:
        decision === 'approve'
          ? t(`同意${x.consumer.name}调取这些数据？`, `Let ${x.consumer.name} fetch this data?`)
          : t('拒绝这次数据请求？', 'Decline this request?'),
      confirmText: t('确定', 'OK'),
      cancelText: t('取消', 'Cancel'),
    });
    if (!ok) return;
    try {
      await api.decideConsent(x.id, decision);
      await load();
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    }
  };

  if (!items)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  return (
    <div className="rs-page">
      <div className="bd-intro">
        <h2>{t('每次数据使用', 'Every use of your data')}</h2>
        <p>
          {t(
            '哪个部门、何时、调取了哪些信息、用于哪个办件。每一次都记录在存证账本上（只记摘要，不记数据）。',
            'Which department, when, which fields, for which case. Each one is a leaf on the transparency ledger (digests only, never the data).',
          )}
        </p>
      </div>
      {items.length === 0 && <Empty description={t('还没有部门使用过您的数据', 'No department has used your data yet')} />}
      {items.map((x) => {
        const s = STATUS[x.status];
        const kase = cases[x.caseId];
        return (
          <section key={x.id} className="bd-use" data-testid="data-use" data-status={x.status}>
            <div className="bd-use-top">
              <strong className="bd-use-who">{x.consumer.name}</strong>
              <Tag color={s.color}>{pick(s)}</Tag>
            </div>
            <div className="bd-use-when">{formatDateTime(x.completedAt ?? x.requestedAt, lang)}</div>
            <dl className="bd-dl">
              <dt>{t('数据', 'Data')}</dt>
              <dd>
                {x.provider.name}「{lang === 'zh' ? x.dataset.nameZh : x.dataset.nameEn}」
              </dd>
              <dt>{t('字段', 'Fields')}</dt>
              <dd>
                {x.fields.map((f) => (
                  <span key={f.name} className={`bd-field bd-sens-${f.sensitivity}`}>
                    {lang === 'zh' ? f.labelZh : f.labelEn}
                    <small>{pick(SENSITIVITY[f.sensitivity])}</small>
                  </span>
                ))}
              </dd>
              <dt>{t('办件', 'Case')}</dt>
              <dd>
                {kase ? (
                  <button type="button" className="bd-link" onClick={() => navigate(`/cases/${x.caseId}`)}>
                    {pick(kase.name)} · {kase.caseNo}
                  </button>
                ) : (
                  '—'
                )}
              </dd>
              <dt>{t('依据', 'Basis')}</dt>
              <dd>
                {x.legalBasis} · {x.consentRequired ? t('经您同意', 'with your consent') : t('法定共享', 'by law')}
              </dd>
              {x.ledgerIndex !== null && (
                <>
                  <dt>{t('存证', 'Ledger')}</dt>
                  <dd>{t(`账本第 ${x.ledgerIndex} 条`, `entry #${x.ledgerIndex}`)}</dd>
                </>
              )}
            </dl>
            {x.status === 'pending_consent' && (
              <div className="bd-actions">
                <Button block onClick={() => void decide(x, 'decline')}>
                  {t('拒绝', 'Decline')}
                </Button>
                <Button block color="primary" onClick={() => void decide(x, 'approve')}>
                  {t('同意', 'Consent')}
                </Button>
              </div>
            )}
          </section>
        );
      })}
      {next && (
        <List>
          <List.Item
            onClick={() =>
              void api.myExchanges(next).then((p) => {
                setItems([...items, ...p.items]);
                setNext(p.next);
              })
            }
          >
            {t('加载更多', 'Load more')}
          </List.Item>
        </List>
      )}
    </div>
  );
}
