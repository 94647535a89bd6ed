/** The console login: staff sign in with username and password (the session is a cookie for this tab). */
import { Alert, Button, Form, Input } from 'antd';
import type { ReactNode } from 'react';
import { usePlatform } from '../shared/demo-banner.tsx';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { useBusySubmit } from './busy-submit.ts';
import { api, session } from './context.ts';

/** The page around the login and first-setup forms: the brand with a title, the form, the language switch. */
export function LoginFrame({ title, subtitle, children }: { title: string; subtitle: string; children: ReactNode }) {
  return (
    <div className="cs-login">
      <div className="cs-login-box">
        <div className="cs-login-brand">
          <span className="cs-logo" aria-hidden="true">
            一
          </span>
          <div>
            <h1>{title}</h1>
            <p>{subtitle}</p>
          </div>
        </div>
        {children}
        <div className="cs-login-lang">
          <LangSwitch className="cs-lang" />
        </div>
      </div>
    </div>
  );
}

/** Signs a staff account in for this tab and opens `to`; `notStaff` is the error for a resident's account. */
export async function signIn(credentials: { username: string; password: string }, to: string, notStaff: string): Promise<void> {
  const result = await api.loginStaff(credentials.username, credentials.password);
  if (result.account.kind !== 'staff') throw new Error(notStaff);
  session.set({ account: result.account });
  navigate(to, { replace: true });
}

/** On the login page of an install without an administrator: where to go. */
function BootstrapHint() {
  const { t } = useI18n();
  const platform = usePlatform();
  if (!platform?.needsBootstrap) return null;
  return (
    <Alert
      type="info"
      showIcon
      style={{ marginBottom: 16 }}
      message={t('平台尚无管理员', 'No administrator yet')}
      description={t(
        '请打开服务启动时打印的“首次设置”链接，或在服务器上运行 yiban admin create。',
        'Open the setup link printed when the server started, or run yiban admin create on the server.',
      )}
    />
  );
}

export function Login() {
  const { t } = useI18n();
  const { busy, submit } = useBusySubmit((values: { username: string; password: string }) =>
    signIn({ username: values.username.trim(), password: values.password }, '/console', t('请使用工作人员账号', 'Use a staff account')),
  );
  return (
    <LoginFrame
      title={t('一办 · 政务服务工作台', 'Yiban staff console')}
      subtitle={t('村（社区）、乡镇、县、市各级工作人员', 'For village, township, county and city staff')}
    >
      <BootstrapHint />
      <Form layout="vertical" size="large" onFinish={submit}>
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
    </LoginFrame>
  );
}
