import { DotLoading, ErrorBlock, List, SearchBar, Tabs, Tag } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { BenefitsEntry } from './BenefitsEntry.tsx';
import { api, errorText, session } from './context.ts';

const CATEGORIES = [
  { key: '', zh: '全部', en: 'All' },
  { key: 'certificates', zh: '证明开具', en: 'Certificates' },
  { key: 'birth', zh: '出生一件事', en: 'Having a baby' },
];

export function Home() {
  const { t, lang } = useI18n();
  const me = session.use();
  const [q, setQ] = useState('');
  const [category, setCategory] = useState('');
  const [items, setItems] = useState<ServiceItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setItems(null);
    api
      .services({ q: q.trim() || undefined, category: category || undefined })
      .then((r) => live && setItems(r.items))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [q, category]);

  return (
    <div>
      <section className="rs-hero">
        <div className="rs-hero-greet">
          {t('您好', 'Hello')}，{me?.onBehalfOf?.name ?? me?.account.name}
        </div>
        <div className="rs-hero-sub">{t('足不出户，证明网上开', 'Get your certificates online, without a trip')}</div>
        <SearchBar
          placeholder={t('搜索事项，如 居住证明', 'Search, e.g. residence proof')}
          onSearch={setQ}
          onClear={() => setQ('')}
          style={{ '--height': '44px', '--border-radius': '22px' }}
        />
      </section>
      <div className="rs-quick">
        <button type="button" onClick={() => navigate('/apply/cert.residence')}>
          <span className="rs-quick-icon" style={{ background: '#e8f1fd', color: '#1677ff' }}>
            住
          </span>
          {t('居住证明', 'Residence')}
        </button>
        <button type="button" onClick={() => navigate('/cases')}>
          <span className="rs-quick-icon" style={{ background: '#fff4e6', color: '#d46b08' }}>
            办
          </span>
          {t('我的办件', 'My cases')}
        </button>
        <button type="button" onClick={() => navigate('/certs')}>
          <span className="rs-quick-icon" style={{ background: '#f0f9eb', color: '#389e0d' }}>
            证
          </span>
          {t('我的证照', 'Certificates')}
        </button>
        <button type="button" onClick={() => (location.href = '/verify')}>
          <span className="rs-quick-icon" style={{ background: '#fdeeee', color: '#c8161d' }}>
            验
          </span>
          {t('证明核验', 'Verify')}
        </button>
      </div>
      <button type="button" className="rs-event" onClick={() => navigate('/bundles')} data-testid="bundles-entry">
        <span className="rs-event-title">{t('一件事一次办', 'One life event, one application')}</span>
        <span className="rs-event-sub">
          {t('新生儿出生、退休……一张表，多部门并联办理', 'A birth, retiring…: one form, the departments work in parallel')}
        </span>
      </button>
      <button type="button" className="rs-event" onClick={() => navigate('/cross')} data-testid="cross-entry">
        <span className="rs-event-title">{t('跨省办理', 'Cross-province services')}</span>
        <span className="rs-event-sub">
          {t('在本省申请他省事项，跟踪异地代收的办件', 'Apply here for another province’s services; follow cases handed over')}
        </span>
      </button>
      <BenefitsEntry />
      <Tabs activeKey={category} onChange={setCategory}>
        {CATEGORIES.map((c) => (
          <Tabs.Tab key={c.key} title={lang === 'zh' ? c.zh : c.en} />
        ))}
      </Tabs>
      {error && <ErrorBlock status="default" title={error} description="" />}
      {!items && !error && (
        <div className="rs-center">
          <DotLoading />
        </div>
      )}
      {items && (
        <List header={t('服务事项', 'Services')}>
          {items.map((s) => (
            <List.Item
              key={s.code}
              onClick={() => navigate(`/apply/${s.code}`)}
              description={
                <span>
                  {t(`承诺时限 ${s.timeLimitDays} 个工作日`, `Within ${s.timeLimitDays} working days`)} ·{' '}
                  {s.feeCents === 0 ? t('免费', 'Free') : `¥${(s.feeCents / 100).toFixed(2)}`}
                </span>
              }
              extra={
                s.online ? (
                  <Tag color="primary" fill="outline">
                    {t('全程网办', 'Online')}
                  </Tag>
                ) : (
                  <Tag>{t('窗口办理', 'At the counter')}</Tag>
                )
              }
              arrowIcon
            >
              {lang === 'zh' ? s.nameZh : s.nameEn}
            </List.Item>
          ))}
          {items.length === 0 && <List.Item>{t('没有找到相关事项', 'Nothing found')}</List.Item>}
        </List>
      )}
    </div>
  );
}
