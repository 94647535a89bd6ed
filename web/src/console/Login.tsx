/** The console login: staff sign in with username and password (the session is a cookie for this tab). */
import { App as AntApp, Button, Form, Input } from 'antd';
import { useState } from 'react';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, session } from './context.ts';
import { BootstrapHint } from './Account.tsx';

export function Login() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  const onFinish = async (values: { username: string; password: string }) => {
    setBusy(true);
    try {
      const result = await api.loginStaff(values.username.trim(), values.password);
      if (result.account.kind !== 'staff') throw new Error(t('请使用工作人员账号', 'Use a staff account'));
      session.set({ account: result.account });
      navigate('/console', { replace: true });
    } catch (error) {
      void message.error(errorText(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="cs-login">
      <div className="cs-login-box">
        <div className="cs-login-brand">
          <span className="cs-logo" aria-hidden="true">
            一
          </span>
          <div>
            <h1>{t('一办 · 政务服务工作台', 'Yiban staff console')}</h1>
            <p>{t('村（社区）、乡镇、县、市各级工作人员', 'For village, township, county and city staff')}</p>
          </div>
        </div>
        <BootstrapHint />
        <Form layout="vertical" size="large" onFinish={(v: { username: string; password: string }) => void onFinish(v)}>
          <Form.Item
            name="username"
            label={t('用户名', 'Username')}
            rules={[{ required: true, message: t('请输入用户名', 'Enter your username') }]}
          >
            <Input autoComplete="username" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('密码', 'Password')}
            rules={[{ required: true, message: t('请输入密码', 'Enter your password') }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('登录', 'Log in')}
          </Button>
        </Form>
        <div className="cs-login-lang">
          <LangSwitch className="cs-lang" />
        </div>
      </div>
    </div>
  );
}
