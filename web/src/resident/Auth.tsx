import { Button, Form, Input, List, NoticeBar, Selector, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { Delegation, Org } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { usePlatform } from '../shared/demo-banner.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, session } from './context.ts';

/** What the password policy asks (the server checks it: WEAK_PASSWORD says why). */
export const PASSWORD_HELP = {
  zh: '至少 10 位，不要用常见密码、姓名、手机号或生日；可用几个不相关的词加数字和符号',
  en: 'At least 10 characters; no common password, name, phone number or birthday. A few unrelated words with digits and symbols work well',
};

export function Login() {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const helper = new URLSearchParams(location.search).has('helper');
  const platform = usePlatform();
  useFederatedLanding();
  const onFinish = async (values: { login: string; password: string }) => {
    setBusy(true);
    try {
      if (helper) {
        const result = await api.loginStaff(values.login.trim(), values.password);
        session.set({ account: result.account, onBehalfOf: null });
        navigate('/helper', { replace: true });
        return;
      }
      const result = await api.loginResident(values.login.trim(), values.password);
      session.set({ account: result.account });
      navigate('/', { replace: true });
    } catch (error) {
      Toast.show({ icon: 'fail', content: errorText(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="rs-auth">
      <div className="rs-auth-hero">
        <div className="rs-auth-logo" aria-hidden="true">
          一
        </div>
        <h1>{t('一办', 'Yiban')}</h1>
        <p>{helper ? t('帮办代办员登录', 'Helper login') : t('政务服务 · 一网通办', 'Government services, all in one place')}</p>
      </div>
      <Form
        layout="vertical"
        onFinish={(v: { login: string; password: string }) => void onFinish(v)}
        footer={
          <Button block type="submit" color="primary" size="large" loading={busy}>
            {t('登录', 'Log in')}
          </Button>
        }
      >
        <Form.Item
          name="login"
          label={helper ? t('帮办员用户名', 'Helper username') : t('手机号或身份证号', 'Phone or ID number')}
          rules={[{ required: true, message: t('请输入账号', 'Enter your account') }]}
        >
          <Input
            placeholder={helper ? t('帮办员用户名', 'Helper username') : t('请输入手机号或身份证号', 'Phone or ID number')}
            autoComplete="username"
            clearable
          />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('密码', 'Password')}
          rules={[{ required: true, message: t('请输入密码', 'Enter your password') }]}
        >
          <Input type="password" placeholder={t('请输入密码', 'Password')} autoComplete="current-password" />
        </Form.Item>
      </Form>
      {platform?.oidcLogin && !helper && (
        // A full navigation: the server redirects to the national platform and back (OpenID Connect).
        <Button block size="large" color="primary" fill="outline" onClick={() => location.assign('/api/auth/oidc/start')}>
          {t('用国家政务服务平台账号登录', 'Log in with the national account')}
        </Button>
      )}
      <div className="rs-auth-links">
        <a
          href="/register"
          onClick={(e) => {
            e.preventDefault();
            navigate('/register');
          }}
        >
          {t('没有账号？实名注册', 'No account yet? Register with your real name')}
        </a>
        <br />
        <a href={helper ? '/login' : '/login?helper'}>{helper ? t('居民登录', 'Resident login') : t('我是帮办代办员', 'I am a helper')}</a>
      </div>
    </div>
  );
}

/**
 * Back from the national platform (/login?oidc=1): the server set the session cookie; the app learns
 * whose it is from GET /api/me and goes home. A refused login answered with its error before this page.
 */
function useFederatedLanding() {
  const { t } = useI18n();
  useEffect(() => {
    if (!new URLSearchParams(location.search).has('oidc')) return;
    session.clear();
    api
      .me()
      .then((me) => {
        if (me.kind !== 'resident') return;
        session.set({
          account: {
            id: me.accountId,
            kind: 'resident',
            name: me.name,
            residentIdMasked: me.residentIdMasked,
            roles: [],
            capabilities: {},
          },
        });
        navigate('/', { replace: true });
      })
      .catch(() => Toast.show({ icon: 'fail', content: t('登录未完成，请重试', 'The login did not complete; try again') }));
  }, [t]);
}

interface RegisterValues {
  name: string;
  residentId: string;
  phone: string;
  password: string;
  village?: string[];
}

export function Register() {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [villageQuery, setVillageQuery] = useState('');
  const [villages, setVillages] = useState<Org[]>([]);
  const [form] = Form.useForm<RegisterValues>();

  const search = async () => {
    if (!villageQuery.trim()) return;
    try {
      const found = await api.searchOrgs(villageQuery.trim(), 'village');
      setVillages(found.items);
      if (found.items.length === 0) Toast.show(t('没有找到这个村（社区）', 'No such village or community'));
      if (found.items.length === 1) form.setFieldValue('village', [found.items[0]!.code]);
    } catch (error) {
      Toast.show({ icon: 'fail', content: errorText(error) });
    }
  };

  const onFinish = async (values: RegisterValues) => {
    setBusy(true);
    try {
      const homeOrgCode = values.village?.[0];
      await api.register({
        name: values.name.trim(),
        residentId: values.residentId.trim(),
        phone: values.phone.trim(),
        password: values.password,
        ...(homeOrgCode ? { homeOrgCode } : {}),
      });
      const result = await api.loginResident(values.residentId.trim(), values.password);
      session.set({ account: result.account });
      Toast.show({ icon: 'success', content: t('注册成功', 'Registered') });
      navigate('/', { replace: true });
    } catch (error) {
      Toast.show({ icon: 'fail', content: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rs-page">
      <NoticeBar
        content={t('请使用本人真实姓名和居民身份证号注册。', 'Register with your own real name and resident ID number.')}
        color="info"
        wrap
      />
      <Form
        form={form}
        layout="horizontal"
        onFinish={(v: RegisterValues) => void onFinish(v)}
        footer={
          <Button block type="submit" color="primary" size="large" loading={busy}>
            {t('注册并登录', 'Register and log in')}
          </Button>
        }
      >
        <Form.Header>{t('实名信息', 'Your identity')}</Form.Header>
        <Form.Item name="name" label={t('姓名', 'Name')} rules={[{ required: true, message: t('请输入姓名', 'Enter your name') }]}>
          <Input placeholder={t('与身份证一致', 'As on your ID card')} />
        </Form.Item>
        <Form.Item
          name="residentId"
          label={t('身份证号', 'ID number')}
          rules={[{ required: true, len: 18, message: t('请输入 18 位身份证号', 'Enter the 18-character ID number') }]}
        >
          <Input placeholder={t('18 位居民身份证号', '18-character resident ID')} maxLength={18} />
        </Form.Item>
        <Form.Item
          name="phone"
          label={t('手机号', 'Phone')}
          rules={[{ required: true, pattern: /^1\d{10}$/, message: t('请输入 11 位手机号', 'Enter an 11-digit phone number') }]}
        >
          <Input type="tel" placeholder={t('11 位手机号', '11-digit phone')} maxLength={11} />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('密码', 'Password')}
          rules={[{ required: true, min: 10, message: t('至少 10 位', 'At least 10 characters') }]}
          help={t(PASSWORD_HELP.zh, PASSWORD_HELP.en)}
        >
          <Input type="password" placeholder={t('至少 10 位', 'At least 10 characters')} autoComplete="new-password" />
        </Form.Item>
        <Form.Header>{t('居住地', 'Where you live')}</Form.Header>
        <Form.Item
          label={t('村（社区）', 'Village')}
          extra={
            <Button size="small" onClick={() => void search()}>
              {t('查找', 'Search')}
            </Button>
          }
        >
          <Input
            placeholder={t('输入村或社区名称，如 塔元庄', 'Village name, e.g. 塔元庄')}
            value={villageQuery}
            onChange={setVillageQuery}
            aria-label={t('村（社区）名称', 'Village name')}
          />
        </Form.Item>
        {villages.length > 0 && (
          <Form.Item name="village" label={t('选择', 'Choose')}>
            <Selector columns={1} options={villages.map((v) => ({ label: `${v.name}（${v.code}）`, value: v.code }))} />
          </Form.Item>
        )}
      </Form>
    </div>
  );
}

/** Helper mode: pick the resident to act for, among those who authorised this helper. */
export function PickResident() {
  const { t, lang } = useI18n();
  const me = session.use();
  const [items, setItems] = useState<Delegation[] | null>(null);
  useEffect(() => {
    api.delegations().then(
      (d) => setItems(d.items.filter((x) => x.status === 'active')),
      (e: unknown) => {
        setItems([]);
        Toast.show({ icon: 'fail', content: errorText(e) });
      },
    );
  }, []);
  return (
    <div className="rs-page">
      <NoticeBar
        color="info"
        wrap
        content={t(
          '请选择要为其代办的居民。只列出已授权您的居民；您办理的每一件事都会记录为代办。',
          'Choose the resident you act for. Only residents who authorised you are listed; everything you do is recorded as done on their behalf.',
        )}
      />
      <List header={t('授权我代办的居民', 'Residents who authorised me')}>
        {items?.length === 0 && <List.Item>{t('暂无有效授权', 'No active authorisation')}</List.Item>}
        {items?.map((d) => (
          <List.Item
            key={d.id}
            arrowIcon
            description={t(`授权至 ${d.validUntil.slice(0, 10)}`, `Authorised until ${d.validUntil.slice(0, 10)}`)}
            onClick={() => {
              if (!me) return;
              session.set({
                ...me,
                onBehalfOf: { accountId: d.resident.accountId, name: d.resident.name, residentIdMasked: d.resident.residentIdMasked },
              });
              navigate('/', { replace: true });
            }}
          >
            {d.resident.name} {d.resident.residentIdMasked}
          </List.Item>
        ))}
      </List>
      <span hidden>{lang}</span>
    </div>
  );
}
