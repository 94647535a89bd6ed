/** The console shell: login and setup outside it; inside, the header, the menu and the page for the path. */
import { Alert, Button, Layout, Menu, Space, Spin } from 'antd';
import { lazy, Suspense, useEffect } from 'react';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { match, navigate, usePath } from '../shared/router.tsx';
import { api, insuranceOrgs, orgsFor, ROLE_TEXT, session, useIsHub } from './context.ts';
import { SHARING_MENU, SharingPage, sharingPageOf } from './sharing-routes.tsx';
import { Overview } from './Overview.tsx';
import { Seals } from './Seals.tsx';
import { Staff } from './Staff.tsx';
import { ChangePasswordButton, Setup } from './Account.tsx';
import { CaseReview } from './CaseReview.tsx';
import { Login } from './Login.tsx';
import { Queue } from './Queue.tsx';
import { DeadLetters } from './DeadLetters.tsx';
import { CrossHandOver } from './CrossHandOver.tsx';
import { ReminderBadge, Reminders } from './Reminders.tsx';
import { Ladders } from './Ladders.tsx';

const { Header, Sider, Content } = Layout;
// The rules pages, loaded when first opened.
const Rules = lazy(() => import('./Rules.tsx').then((m) => ({ default: m.Rules })));
const Insurance = lazy(() => import('./Insurance.tsx').then((m) => ({ default: m.Insurance })));
const Benefits = lazy(() => import('./Benefits.tsx').then((m) => ({ default: m.Benefits })));
const InsuranceWindow = lazy(() => import('./InsuranceWindow.tsx').then((m) => ({ default: m.InsuranceWindow })));
// The dashboards (ECharts) load when first opened.
const Dashboard = lazy(() => import('./Dashboard.tsx').then((m) => ({ default: m.Dashboard })));
const Members = lazy(() => import('./Members.tsx').then((m) => ({ default: m.Members })));
const WindowStatementPage = lazy(() => import('./WindowStatement.tsx').then((m) => ({ default: m.WindowStatementPage })));

export function ConsoleApp() {
  const { t, pick } = useI18n();
  const path = usePath();
  const me = session.use();
  const isHub = useIsHub(orgsFor(me, 'federation.manage').length > 0);
  useEffect(() => {
    if (!me && path !== '/console/login' && path !== '/console/setup') navigate('/console/login', { replace: true });
  }, [me, path]);
  if (path === '/console/login') return <Login />;
  if (path === '/console/setup') return <Setup />;
  if (!me) return null;
  const caseMatch = match('/console/cases/:id', path);
  const statementMatch = match('/console/insurance-window/statements/:hospital/:setlId', path);
  const logout = async () => {
    await api.logout().catch(() => undefined);
    session.clear();
  };
  const role = me.account.roles[0];
  // 督查: the overview, the dashboards and the escalation ladders, for those who may see them.
  const supervision = [
    ...(orgsFor(me, 'overview.view').length > 0
      ? [{ key: 'overview', label: t('四级总览', 'Overview'), onClick: () => navigate('/console/overview') }]
      : []),
    ...(orgsFor(me, 'dashboard.view').length > 0
      ? [{ key: 'dashboard', label: t('督查看板', 'Dashboard'), onClick: () => navigate('/console/dashboard') }]
      : []),
    ...(orgsFor(me, 'sla.manage').length > 0
      ? [{ key: 'ladders', label: t('督办阶梯', 'Escalation ladders'), onClick: () => navigate('/console/ladders') }]
      : []),
  ];
  const menu = [
    { key: 'queue', label: t('待办队列', 'Queue'), onClick: () => navigate('/console') },
    ...(orgsFor(me, 'case.view').length > 0
      ? [{ key: 'reminders', label: <ReminderBadge label={t('催办提醒', 'Reminders')} />, onClick: () => navigate('/console/reminders') }]
      : []),
    ...(supervision.length > 0
      ? [
          { key: 'supervision', type: 'group' as const, label: t('督查', 'Supervision'), children: supervision },
          { key: 'supervision-end', type: 'divider' as const },
        ]
      : []),
    ...(orgsFor(me, 'staff.manage').length > 0
      ? [{ key: 'staff', label: t('人员管理', 'Staff'), onClick: () => navigate('/console/staff') }]
      : []),
    ...(orgsFor(me, 'case.handle').length > 0
      ? [{ key: 'cross', label: t('异地代收', 'Cross-province hand-over'), onClick: () => navigate('/console/cross') }]
      : []),
    { key: 'seals', label: t('印章与手签', 'Seals and signatures'), onClick: () => navigate('/console/seals') },
    ...(orgsFor(me, 'rule.view').length > 0
      ? [{ key: 'rules', label: t('规则', 'Rules'), onClick: () => navigate('/console/rules') }]
      : []),
    ...(orgsFor(me, 'benefit.view').length > 0
      ? [{ key: 'benefits', label: t('待遇', 'Benefits'), onClick: () => navigate('/console/benefits') }]
      : []),
    ...(insuranceOrgs(me, 'insurance.view').length > 0
      ? [{ key: 'insurance', label: t('医保', 'Medical insurance'), onClick: () => navigate('/console/insurance') }]
      : []),
    ...(orgsFor(me, 'insurance.window').length > 0
      ? [{ key: 'insurance-window', label: t('医保窗口', 'Insurance window'), onClick: () => navigate('/console/insurance-window') }]
      : []),
    ...(orgsFor(me, 'events.manage').length > 0
      ? [{ key: 'events', label: t('失败事件', 'Dead letters'), onClick: () => navigate('/console/events') }]
      : []),
    // On a federation hub only (a province or a standalone node has no members to approve): the platform administrator approves members.
    ...(isHub ? [{ key: 'members', label: t('成员审批', 'Member approval'), onClick: () => navigate('/console/members') }] : []),
  ];
  const section = path.startsWith('/console/cross')
    ? 'cross'
    : path.startsWith('/console/reminders')
      ? 'reminders'
      : path.startsWith('/console/ladders')
        ? 'ladders'
        : path.startsWith('/console/overview')
          ? 'overview'
          : path.startsWith('/console/dashboard')
            ? 'dashboard'
            : path.startsWith('/console/staff')
              ? 'staff'
              : path.startsWith('/console/seals')
                ? 'seals'
                : path.startsWith('/console/rules')
                  ? 'rules'
                  : path.startsWith('/console/events')
                    ? 'events'
                    : path.startsWith('/console/members')
                      ? 'members'
                      : path.startsWith('/console/benefits')
                        ? 'benefits'
                        : path.startsWith('/console/insurance-window') ||
                            // A window clerk handles no cases: the window is their home page.
                            (orgsFor(me, 'case.view').length === 0 && orgsFor(me, 'insurance.window').length > 0)
                          ? 'insurance-window'
                          : path.startsWith('/console/insurance')
                            ? 'insurance'
                            : 'queue';
  return (
    <Layout className="cs-layout">
      <Header className="cs-header">
        <div className="cs-brand">
          <span className="cs-logo" aria-hidden="true">
            一
          </span>
          <span>{t('一办 · 政务服务工作台', 'Yiban staff console')}</span>
        </div>
        <Space>
          <span className="cs-user">
            {me.account.name}
            {role && ` · ${ROLE_TEXT[role.role] ? pick(ROLE_TEXT[role.role]!) : role.role}`}
          </span>
          <LangSwitch className="cs-lang" />
          <ChangePasswordButton />
          <Button onClick={() => void logout()}>{t('退出', 'Log out')}</Button>
        </Space>
      </Header>
      <Layout>
        <Sider width={200} theme="light" className="cs-sider">
          <Menu
            mode="inline"
            selectedKeys={[sharingPageOf(path) ?? section]}
            items={[...menu, ...SHARING_MENU.map((m) => ({ key: m.key, label: t(m.zh, m.en), onClick: () => navigate(m.path) }))]}
          />
        </Sider>
        <Content className="cs-content">
          {me.account.roles.length === 0 && <Alert type="warning" message={t('此账号没有工作角色', 'This account has no staff role')} />}
          {caseMatch ? (
            <CaseReview id={caseMatch.id!} />
          ) : statementMatch ? (
            <Suspense fallback={<Spin />}>
              <WindowStatementPage hospital={statementMatch.hospital!} setlId={statementMatch.setlId!} />
            </Suspense>
          ) : sharingPageOf(path) ? (
            <SharingPage path={path} />
          ) : section === 'reminders' ? (
            <Reminders />
          ) : section === 'ladders' ? (
            <Ladders />
          ) : section === 'overview' ? (
            <Overview />
          ) : section === 'dashboard' ? (
            <Suspense fallback={<Spin />}>
              <Dashboard />
            </Suspense>
          ) : section === 'staff' ? (
            <Staff />
          ) : section === 'seals' ? (
            <Seals />
          ) : section === 'cross' ? (
            <CrossHandOver />
          ) : section === 'events' ? (
            <DeadLetters />
          ) : section === 'members' ? (
            <Suspense fallback={<Spin />}>
              <Members />
            </Suspense>
          ) : section === 'insurance-window' ? (
            <Suspense fallback={<Spin />}>
              <InsuranceWindow />
            </Suspense>
          ) : section === 'benefits' ? (
            <Suspense fallback={<Spin />}>
              <Benefits />
            </Suspense>
          ) : section === 'insurance' ? (
            <Suspense fallback={<Spin />}>
              <Insurance />
            </Suspense>
          ) : section === 'rules' ? (
            <Suspense fallback={<Spin />}>
              <Rules />
            </Suspense>
          ) : (
            <Queue key={location.search} />
          )}
        </Content>
      </Layout>
    </Layout>
  );
}
