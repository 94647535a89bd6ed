import { SafeArea, TabBar } from 'antd-mobile';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { match, navigate, usePath } from '../shared/router.tsx';
import { Login, PickResident, Register } from './Auth.tsx';
import { api, session, unread } from './context.ts';
import { Home } from './Home.tsx';

// Pages past the first screen load on demand, so that the first load stays small.
const Apply = lazy(() => import('./Apply.tsx').then((m) => ({ default: m.Apply })));
const CaseList = lazy(() => import('./Cases.tsx').then((m) => ({ default: m.CaseList })));
const CaseView = lazy(() => import('./Cases.tsx').then((m) => ({ default: m.CaseView })));
const CertificateList = lazy(() => import('./Certificates.tsx').then((m) => ({ default: m.CertificateList })));
const CertificateView = lazy(() => import('./Certificates.tsx').then((m) => ({ default: m.CertificateView })));
const Me = lazy(() => import('./Me.tsx').then((m) => ({ default: m.Me })));
const BundleList = lazy(() => import('./Bundles.tsx').then((m) => ({ default: m.BundleList })));
const BundleApply = lazy(() => import('./BundleApply.tsx').then((m) => ({ default: m.BundleApply })));
const BundleProgressView = lazy(() => import('./BundleProgressView.tsx').then((m) => ({ default: m.BundleProgressView })));
const MessageList = lazy(() => import('./Messages.tsx').then((m) => ({ default: m.MessageList })));
const BenefitList = lazy(() => import('./Benefits.tsx').then((m) => ({ default: m.BenefitList })));
const BenefitView = lazy(() => import('./Benefits.tsx').then((m) => ({ default: m.BenefitView })));
const InsuranceHome = lazy(() => import('./Insurance.tsx').then((m) => ({ default: m.InsuranceHome })));
const SettlementDetail = lazy(() => import('./Insurance.tsx').then((m) => ({ default: m.SettlementDetail })));
const FiguresPage = lazy(() => import('./Figures.tsx').then((m) => ({ default: m.FiguresPage })));
const EvidencePreview = lazy(() => import('./CrossEvidence.tsx').then((m) => ({ default: m.EvidencePreview })));
const CrossProvinceList = lazy(() => import('./CrossProvince.tsx').then((m) => ({ default: m.CrossProvinceList })));
const CrossProvinceApply = lazy(() => import('./CrossProvince.tsx').then((m) => ({ default: m.CrossProvinceApply })));
const DataUse = lazy(() => import('./DataUse.tsx').then((m) => ({ default: m.DataUse })));

const TABS = [
  { key: '/', zh: '首页', en: 'Home', icon: '⌂' },
  { key: '/cases', zh: '办件', en: 'Cases', icon: '☰' },
  { key: '/certs', zh: '证照', en: 'Certificates', icon: '▣' },
  { key: '/inbox', zh: '消息', en: 'Messages', icon: '✉' },
  { key: '/me', zh: '我的', en: 'Me', icon: '◉' },
];

function Page({ title, back, children }: { title: string; back?: boolean; children: ReactNode }) {
  const { t } = useI18n();
  useEffect(() => {
    document.title = `${title} · ${t('一办', 'Yiban')}`;
  }, [title, t]);
  return (
    <>
      <header className="rs-nav">
        {back ? (
          <button type="button" className="rs-back" onClick={() => history.back()} aria-label={t('返回', 'Back')}>
            ‹
          </button>
        ) : (
          <span className="rs-back" aria-hidden="true" />
        )}
        <h1 className="rs-nav-title">{title}</h1>
        <LangSwitch />
      </header>
      <main className="rs-main">
        <Suspense fallback={null}>{children}</Suspense>
      </main>
    </>
  );
}

export function App() {
  const { t } = useI18n();
  const path = usePath();
  const me = session.use();
  const publicPage = path === '/login' || path === '/register' || path === '/figures';
  const unreadCount = unread.use();
  const actingFor = me?.onBehalfOf?.accountId;

  // The tab bar's badge: the unread count again on each page (a notice may have arrived meanwhile).
  useEffect(() => {
    if (!me || publicPage || (me.account.kind === 'staff' && !actingFor)) return;
    let live = true;
    api
      .inbox({ limit: 1 })
      .then((p) => live && unread.set(p.unreadCount))
      .catch(() => live && unread.set(null));
    return () => {
      live = false;
    };
  }, [me, actingFor, publicPage, path]);

  useEffect(() => {
    if (!me && !publicPage) navigate('/login', { replace: true });
  }, [me, publicPage]);

  if (path === '/login')
    return (
      <Page title={t('登录', 'Log in')}>
        <Login />
      </Page>
    );
  if (path === '/register')
    return (
      <Page title={t('实名注册', 'Register')} back>
        <Register />
      </Page>
    );
  // 好差评公开数字: anyone, logged in or not.
  if (path === '/figures')
    return (
      <Page title={t('好差评公开数字', 'Public rating figures')} back={Boolean(me)}>
        <FiguresPage />
      </Page>
    );
  if (!me) return null;
  // A helper acts for one resident at a time, chosen first.
  const helper = me.account.kind === 'staff';
  if (helper && (path === '/helper' || !me.onBehalfOf)) {
    return (
      <Page title={t('选择代办对象', 'Act on behalf of')}>
        <PickResident />
      </Page>
    );
  }

  let body: ReactNode;
  let p: Record<string, string> | null;
  if ((p = match('/bundles/progress/:id', path)))
    body = (
      <Page title={t('办理进度', 'Progress')} back>
        <BundleProgressView id={p.id!} />
      </Page>
    );
  else if ((p = match('/bundles/:code', path)))
    body = (
      <Page title={t('一件事一次办', 'Life event')} back>
        <BundleApply code={p.code!} />
      </Page>
    );
  else if (path === '/bundles')
    body = (
      <Page title={t('一件事一次办', 'Life events')} back>
        <BundleList />
      </Page>
    );
  else if ((p = match('/benefits/:id', path)))
    body = (
      <Page title={t('待遇详情', 'Benefit')} back>
        <BenefitView id={p.id!} />
      </Page>
    );
  else if (path === '/benefits')
    body = (
      <Page title={t('我的待遇', 'My benefits')} back>
        <BenefitList />
      </Page>
    );
  else if ((p = match('/insurance/settlements/:setlId', path)))
    body = (
      <Page title={t('结算详情', 'Settlement')} back>
        <SettlementDetail setlId={p.setlId!} />
      </Page>
    );
  else if (path === '/insurance')
    body = (
      <Page title={t('我的医保', 'My medical insurance')} back>
        <InsuranceHome />
      </Page>
    );
  else if (path === '/cross/apply')
    body = (
      <Page title={t('全程网办', 'Apply online, another province')} back>
        <CrossProvinceApply />
      </Page>
    );
  else if (path === '/cross')
    body = (
      <Page title={t('跨省办理', 'Cross-province')} back>
        <CrossProvinceList />
      </Page>
    );
  else if (path === '/data-use')
    body = (
      <Page title={t('谁用了我的数据', 'Who used my data')} back>
        <DataUse />
      </Page>
    );
  else if ((p = match('/apply/:code', path)))
    body = (
      <Page title={t('在线申请', 'Apply')} back>
        <Apply code={p.code!} />
      </Page>
    );
  else if ((p = match('/evidence/:id', path)))
    body = (
      <Page title={t('外省证照预览', 'Evidence preview')} back>
        <EvidencePreview id={p.id!} />
      </Page>
    );
  else if ((p = match('/cases/:id', path)))
    body = (
      <Page title={t('办件详情', 'Case')} back>
        <CaseView id={p.id!} />
      </Page>
    );
  else if ((p = match('/certs/:id', path)))
    body = (
      <Page title={t('电子证明', 'Certificate')} back>
        <CertificateView id={p.id!} />
      </Page>
    );
  else if (path === '/cases')
    body = (
      <Page title={t('我的办件', 'My cases')}>
        <CaseList />
      </Page>
    );
  else if (path === '/certs')
    body = (
      <Page title={t('我的证照', 'My certificates')}>
        <CertificateList />
      </Page>
    );
  else if (path === '/inbox')
    body = (
      <Page title={t('消息', 'Messages')}>
        <MessageList />
      </Page>
    );
  else if (path === '/me')
    body = (
      <Page title={t('我的', 'Me')}>
        <Me />
      </Page>
    );
  else
    body = (
      <Page title={t('一办', 'Yiban')}>
        <Home />
      </Page>
    );

  const tab = TABS.find((x) => x.key !== '/' && path.startsWith(x.key))?.key ?? (path === '/' ? '/' : '');
  return (
    <div className="rs-app">
      {me.onBehalfOf && (
        <div className="rs-behalf" role="status" data-testid="on-behalf">
          {t(
            `帮办代办：正在为 ${me.onBehalfOf.name}（${me.onBehalfOf.residentIdMasked}）办理`,
            `Helper mode: acting on behalf of ${me.onBehalfOf.name} (${me.onBehalfOf.residentIdMasked})`,
          )}
          <button type="button" className="rs-behalf-switch" onClick={() => navigate('/helper')}>
            {t('切换', 'Switch')}
          </button>
        </div>
      )}
      {body}
      <nav className="rs-tabbar" aria-label={t('主导航', 'Main')}>
        <TabBar activeKey={tab} onChange={(key) => navigate(key)} safeArea>
          {TABS.map((x) => (
            <TabBar.Item
              key={x.key}
              icon={
                <span aria-hidden="true" className="rs-tab-icon">
                  {x.icon}
                </span>
              }
              title={t(x.zh, x.en)}
              badge={
                x.key === '/inbox' && unreadCount ? (
                  <span data-testid="unread-badge">{unreadCount > 99 ? '99+' : unreadCount}</span>
                ) : undefined
              }
            />
          ))}
        </TabBar>
      </nav>
      <SafeArea position="bottom" />
    </div>
  );
}
