import { App as AntApp, Button, Form, Input, Modal } from 'antd';
import { useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import { useBusySubmit } from './busy-submit.ts';
import { api } from './context.ts';
import { LoginFrame, signIn } from './Login.tsx';

const PASSWORD_HELP = {
  zh: '至少 10 位，不要用常见密码、姓名、用户名或生日；可用几个不相关的词加数字和符号',
  en: 'At least 10 characters; no common password, name, username or birthday. A few unrelated words with digits and symbols work well',
};

/** The new-password field and its confirmation, as both forms below use them. */
function NewPasswordFields({ name }: { name: string }) {
  const { t } = useI18n();
  return (
    <>
      <Form.Item
        name={name}
        label={t('新密码', 'New password')}
        extra={t(PASSWORD_HELP.zh, PASSWORD_HELP.en)}
        rules={[{ required: true, min: 10, message: t('至少 10 位', 'At least 10 characters') }]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="confirm"
        label={t('再次输入新密码', 'New password again')}
        dependencies={[name]}
        rules={[
          { required: true, message: t('请再次输入新密码', 'Enter the new password again') },
          ({ getFieldValue }) => ({
            validator: (_, value) =>
              value === getFieldValue(name)
                ? Promise.resolve()
                : Promise.reject(new Error(t('两次输入的新密码不一致', 'The two new passwords differ'))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}

/** 修改密码 in the header: the current password and the new one; the other sessions end. */
export function ChangePasswordButton() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ currentPassword: string; newPassword: string }>();
  const { busy, submit } = useBusySubmit(async (v: { currentPassword: string; newPassword: string }) => {
    const { revokedSessions } = await api.changePassword({ currentPassword: v.currentPassword, newPassword: v.newPassword });
    void message.success(
      t(`密码已修改；其他 ${revokedSessions} 处登录已退出`, `Password changed; ${revokedSessions} other session(s) signed out`),
    );
    form.resetFields();
    setOpen(false);
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>{t('修改密码', 'Change password')}</Button>
      <Modal
        open={open}
        title={t('修改密码', 'Change password')}
        okText={t('确认修改', 'Change')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item
            name="currentPassword"
            label={t('当前密码', 'Current password')}
            rules={[{ required: true, message: t('请输入当前密码', 'Enter your current password') }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <NewPasswordFields name="newPassword" />
        </Form>
      </Modal>
    </>
  );
}

/** 首次设置 (/console/setup#token=…): the first platform administrator, with the one-time token printed at start. */
export function Setup() {
  const { t } = useI18n();
  // The token travels in the fragment, which the browser never sends to a server or a log.
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const { busy, submit } = useBusySubmit(async (v: { token: string; username: string; name: string; password: string }) => {
    const created = await api.bootstrapAdmin({
      token: v.token.trim(),
      username: v.username.trim(),
      name: v.name.trim(),
      password: v.password,
    });
    // The token is spent: out of the address and the history, whether or not the login below works.
    history.replaceState(null, '', '/console/setup');
    await signIn({ username: created.username, password: v.password }, '/console/staff', t('请使用工作人员账号', 'Use a staff account'));
  });
  return (
    <LoginFrame
      title={t('首次设置：创建平台管理员', 'First setup: create the platform administrator')}
      subtitle={t('令牌只能使用一次', 'The token works once')}
    >
      <Form layout="vertical" initialValues={{ token: fromLink, username: 'admin', name: '平台管理员' }} onFinish={submit}>
        <Form.Item
          name="token"
          label={t('一次性令牌', 'One-time token')}
          rules={[{ required: true, message: t('请输入启动时打印的令牌', 'Enter the token printed at start') }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="username"
          label={t('用户名', 'Username')}
          rules={[{ required: true, message: t('请输入用户名', 'Enter a username') }]}
        >
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item name="name" label={t('姓名', 'Name')} rules={[{ required: true, message: t('请输入姓名', 'Enter a name') }]}>
          <Input />
        </Form.Item>
        <NewPasswordFields name="password" />
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('创建管理员并登录', 'Create and log in')}
        </Button>
      </Form>
    </LoginFrame>
  );
}
