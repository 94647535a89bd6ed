import { Button, Dialog, Form, Input, List, Selector, Tag, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { Delegation, HelperAct, Me as MeDto } from '../shared/api.ts';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { PASSWORD_HELP } from './Auth.tsx';
import { api, errorText, formatDate, formatDateTime, session } from './context.ts';

const SCOPES = [
  { value: 'applications.submit', zh: '代为申请', en: 'Apply for me' },
  { value: 'applications.view', zh: '查看办件', en: 'See my cases' },
  { value: 'certificates.view', zh: '查看证照', en: 'See my certificates' },
];
const DAYS = [30, 90, 180, 365];
const STATUS_TEXT: Record<string, { zh: string; en: string; color: string }> = {
  // Darker than antd-mobile's presets, for 4.5:1 contrast with the white text.
  active: { zh: '有效', en: 'Active', color: '#1a7f37' },
  expired: { zh: '已过期', en: 'Expired', color: '#595959' },
  revoked: { zh: '已撤销', en: 'Withdrawn', color: '#595959' },
};

/** 帮办代办: authorise a helper, withdraw it, and see everything done on my behalf. */
function Helpers() {
  const { t, pick, lang } = useI18n();
  const [delegations, setDelegations] = useState<Delegation[]>([]);
  const [acts, setActs] = useState<HelperAct[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ helperUsername: string; scopes: string[]; days: number[] }>();

  const load = useCallback(() => {
    api.delegations().then(
      (d) => setDelegations(d.items),
      () => undefined,
    );
    api.helperActs().then(
      (r) => setActs(r.items),
      () => setActs([]),
    );
  }, []);
  useEffect(load, [load]);

  const helperName = (id: string) => delegations.find((d) => d.helper.accountId === id)?.helper.name ?? t('帮办员', 'helper');

  const authorise = async (v: { helperUsername: string; scopes: string[]; days: number[] }) => {
    setBusy(true);
    try {
      const days = v.days[0] ?? 90;
      const d = await api.createDelegation({
        helperUsername: v.helperUsername.trim(),
        scopes: v.scopes,
        validUntil: new Date(Date.now() + days * 86_400_000).toISOString(),
      });
      Toast.show({ icon: 'success', content: t(`已授权 ${d.helper.name}`, `${d.helper.name} authorised`) });
      setAdding(false);
      form.resetFields();
      load();
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const withdraw = async (d: Delegation) => {
    const ok = await Dialog.confirm({
      content: t(
        `撤销对 ${d.helper.name} 的授权？撤销后其不能再为您办理。`,
        `Withdraw ${d.helper.name}'s authorisation? They can no longer act for you.`,
      ),
      confirmText: t('撤销授权', 'Withdraw'),
      cancelText: t('取消', 'Cancel'),
    });
    if (!ok) return;
    try {
      await api.revokeDelegation(d.id);
      Toast.show({ icon: 'success', content: t('已撤销', 'Withdrawn') });
      load();
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    }
  };

  return (
    <>
      <List header={t('帮办代办授权', 'Helper authorisations')} data-testid="delegations">
        {delegations.length === 0 && <List.Item>{t('暂无授权', 'None')}</List.Item>}
        {delegations.map((d) => (
          <List.Item
            key={d.id}
            description={
              <>
                {d.scopes.map((s) => pick(SCOPES.find((x) => x.value === s) ?? { zh: s, en: s })).join(' · ')}
                <br />
                {t(`有效期至 ${formatDate(d.validUntil, lang)}`, `Until ${formatDate(d.validUntil, lang)}`)}
              </>
            }
            extra={
              d.status === 'active' ? (
                <Button size="small" color="danger" fill="outline" onClick={() => void withdraw(d)}>
                  {t('撤销', 'Withdraw')}
                </Button>
              ) : (
                <Tag color={STATUS_TEXT[d.status]?.color ?? '#595959'}>
                  {STATUS_TEXT[d.status] ? pick(STATUS_TEXT[d.status]!) : d.status}
                </Tag>
              )
            }
          >
            {d.helper.name}
            {d.status === 'active' && (
              <Tag color="#1a7f37" className="rs-inline-tag">
                {t('有效', 'Active')}
              </Tag>
            )}
          </List.Item>
        ))}
        {!adding && (
          <List.Item clickable onClick={() => setAdding(true)}>
            <span className="rs-link">{t('＋ 授权帮办员', '+ Authorise a helper')}</span>
          </List.Item>
        )}
      </List>
      {adding && (
        <Form
          form={form}
          layout="vertical"
          className="rs-form"
          initialValues={{ scopes: ['applications.submit', 'applications.view'], days: [90] }}
          onFinish={(v: { helperUsername: string; scopes: string[]; days: number[] }) => void authorise(v)}
          footer={
            <div className="rs-form-buttons">
              <Button block type="submit" color="primary" size="large" loading={busy}>
                {t('确认授权', 'Authorise')}
              </Button>
              <Button block size="large" onClick={() => setAdding(false)}>
                {t('取消', 'Cancel')}
              </Button>
            </div>
          }
        >
          <Form.Header>{t('授权村（社区）帮办员代您办理', 'Let a village helper act for you')}</Form.Header>
          <Form.Item
            name="helperUsername"
            label={t('帮办员工号', 'Helper’s staff ID')}
            rules={[{ required: true, message: t('请输入帮办员工号', 'Enter the helper’s staff ID') }]}
            help={t('向村（社区）便民服务站的帮办员索取', 'Ask the helper at your village service point')}
          >
            <Input placeholder="tyz-helper" autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="scopes"
            label={t('授权范围', 'What they may do')}
            rules={[{ required: true, message: t('至少选择一项', 'Choose at least one') }]}
          >
            <Selector multiple options={SCOPES.map((s) => ({ value: s.value, label: pick(s) }))} />
          </Form.Item>
          <Form.Item name="days" label={t('有效期', 'For')} rules={[{ required: true }]}>
            <Selector options={DAYS.map((d) => ({ value: d, label: t(`${d} 天`, `${d} days`) }))} />
          </Form.Item>
        </Form>
      )}
      <List header={t('帮办员为我办理的记录', 'Done on my behalf')} data-testid="helper-acts">
        {acts?.length === 0 && <List.Item>{t('还没有帮办员为您办理过事项', 'No helper has acted for you yet')}</List.Item>}
        {acts?.map((a, i) => (
          <List.Item
            key={`${a.caseId}-${i}`}
            clickable
            onClick={() => navigate(`/cases/${a.caseId}`)}
            description={`${a.caseNo} · ${formatDateTime(a.at, lang)}`}
            extra={a.fromState === null ? t('填写申请', 'Filled in') : pick(a.actionLabel)}
          >
            {helperName(a.helperId)} · {pick(a.serviceName)}
          </List.Item>
        ))}
      </List>
    </>
  );
}

interface PasswordValues {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/** 修改密码: the current password, then the new one twice; the account's other sessions end. */
function ChangePassword() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<PasswordValues>();
  const submit = async (v: PasswordValues) => {
    setBusy(true);
    try {
      const { revokedSessions } = await api.changePassword({ currentPassword: v.currentPassword, newPassword: v.newPassword });
      Toast.show({
        icon: 'success',
        content:
          revokedSessions > 0
            ? t(`密码已修改，其他 ${revokedSessions} 处登录已退出`, `Password changed; signed out elsewhere (${revokedSessions})`)
            : t('密码已修改', 'Password changed'),
      });
      form.resetFields();
      setOpen(false);
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <List header={t('账号安全', 'Account security')}>
        <List.Item
          arrowIcon
          onClick={() => setOpen(true)}
          description={t('修改后，其他设备上的登录将退出', 'Other devices are signed out when you change it')}
        >
          {t('修改密码', 'Change password')}
        </List.Item>
      </List>
    );
  }
  return (
    <Form
      form={form}
      layout="vertical"
      className="rs-form"
      data-testid="change-password"
      onFinish={(v: PasswordValues) => void submit(v)}
      footer={
        <div className="rs-form-buttons">
          <Button block type="submit" color="primary" size="large" loading={busy}>
            {t('确认修改', 'Change password')}
          </Button>
          <Button block size="large" onClick={() => setOpen(false)}>
            {t('取消', 'Cancel')}
          </Button>
        </div>
      }
    >
      <Form.Header>{t('修改密码', 'Change password')}</Form.Header>
      <Form.Item
        name="currentPassword"
        label={t('当前密码', 'Current password')}
        rules={[{ required: true, message: t('请输入当前密码', 'Enter your current password') }]}
      >
        <Input type="password" autoComplete="current-password" />
      </Form.Item>
      <Form.Item
        name="newPassword"
        label={t('新密码', 'New password')}
        description={t(PASSWORD_HELP.zh, PASSWORD_HELP.en)}
        rules={[{ required: true, min: 10, message: t('至少 10 位', 'At least 10 characters') }]}
      >
        <Input type="password" autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="confirm"
        label={t('再次输入新密码', 'New password again')}
        dependencies={['newPassword']}
        rules={[
          { required: true, message: t('请再次输入新密码', 'Enter the new password again') },
          ({ getFieldValue }) => ({
            validator: (_, value) =>
              value === getFieldValue('newPassword')
                ? Promise.resolve()
                : Promise.reject(new Error(t('两次输入的新密码不一致', 'The two new passwords differ'))),
          }),
        ]}
      >
        <Input type="password" autoComplete="new-password" />
      </Form.Item>
    </Form>
  );
}

export function Me() {
  const { t } = useI18n();
  const [me, setMe] = useState<MeDto | null>(null);
  useEffect(() => {
    api.me().then(setMe, (e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
  }, []);
  const logout = async () => {
    await api.logout().catch(() => undefined);
    session.clear();
    navigate('/login', { replace: true });
  };
  return (
    <div className="rs-page">
      {me?.kind === 'resident' && (
        <List header={t('我的信息', 'My details')}>
          <List.Item extra={me.name}>{t('姓名', 'Name')}</List.Item>
          <List.Item extra={me.residentIdMasked}>{t('身份证号', 'ID number')}</List.Item>
          <List.Item extra={me.phoneMasked}>{t('手机号', 'Phone')}</List.Item>
          <List.Item extra={me.homeOrg?.name ?? t('未设置', 'Not set')}>{t('居住地', 'Home village')}</List.Item>
        </List>
      )}
      {me?.kind === 'resident' && (
        <List header={t('医疗保障', 'Medical insurance')}>
          <List.Item
            arrowIcon
            onClick={() => navigate('/insurance')}
            data-testid="insurance-entry"
            description={t('参保信息、年度累计、异地就医备案、结算明细', 'Coverage, this year’s totals, filings, settlements')}
          >
            {t('我的医保', 'My medical insurance')}
          </List.Item>
        </List>
      )}
      {me?.kind === 'resident' && (
        <List header={t('数据与隐私', 'Data and privacy')}>
          <List.Item
            arrowIcon
            onClick={() => navigate('/data-use')}
            description={t('每次数据使用：谁、何时、哪些字段、用于哪个办件', 'Every use: who, when, which fields, for which case')}
          >
            {t('谁用了我的数据', 'Who used my data')}
          </List.Item>
          <List.Item arrowIcon onClick={() => navigate('/bundles')}>
            {t('我的一件事', 'My life events')}
          </List.Item>
        </List>
      )}
      {/* Only the resident themself authorises helpers: a helper acting for them does not see this. */}
      {me?.kind === 'resident' && <Helpers />}
      {me && !(me.kind === 'staff' && me.actingFor) && <ChangePassword />}
      <List header={t('设置', 'Settings')}>
        <List.Item extra={<LangSwitch className="rs-lang-inline" />}>{t('语言 Language', 'Language 语言')}</List.Item>
      </List>
      <div style={{ padding: 16 }}>
        <Button block size="large" color="danger" fill="outline" onClick={() => void logout()}>
          {t('退出登录', 'Log out')}
        </Button>
      </div>
    </div>
  );
}
