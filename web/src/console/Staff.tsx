import { App as AntApp, Button, Card, Empty, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Role, StaffMember, StaffRole } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime, orgsFor, ROLE_TEXT, session } from './context.ts';
import { useGrantableRoles } from './grantable-roles.ts';
import { OrgPicker } from './OrgPicker.tsx';

interface NewStaff {
  username: string;
  name: string;
  password: string;
  role: StaffRole;
  orgCode: string;
}

/** 人员管理: the staff of an org and of the orgs below it, for the administrators above them. */
export function Staff() {
  const { t, pick, lang } = useI18n();
  const { message, modal } = AntApp.useApp();
  const me = session.use();
  const roots = orgsFor(me, 'staff.manage');
  const [orgCode, setOrgCode] = useState<string | undefined>(roots[0]);
  const [rows, setRows] = useState<StaffMember[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [orgNames, setOrgNames] = useState<Record<string, string>>({});
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<StaffMember | null>(null);
  const [newRole, setNewRole] = useState<{ role?: StaffRole; orgCode?: string }>({});
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewStaff>();
  // The roles offered are the server's answer for the chosen org (the grant's own checks), never a list of our own.
  const newStaffOrg = Form.useWatch('orgCode', form);
  const newStaffRole = Form.useWatch('role', form);
  const createRoles = useGrantableRoles(newStaffOrg);
  const grantRoles = useGrantableRoles(newRole.orgCode);
  useEffect(() => {
    if (createRoles && !(newStaffRole && createRoles.includes(newStaffRole))) form.setFieldValue('role', createRoles[0]);
  }, [createRoles, newStaffRole, form]);
  useEffect(() => {
    if (grantRoles && newRole.role && !grantRoles.includes(newRole.role)) setNewRole((x) => ({ ...x, role: undefined }));
  }, [grantRoles, newRole.role]);

  const nameOf = (code: string) => orgNames[code] ?? code;
  const learnNames = (items: StaffMember[]) => {
    for (const code of new Set(items.flatMap((s) => s.roles.map((r) => r.orgCode)))) {
      if (orgNames[code]) continue;
      api.org(code).then(
        (o) => setOrgNames((n) => ({ ...n, [code]: o.name })),
        () => undefined,
      );
    }
  };

  const load = useCallback(
    async (after?: string) => {
      if (!orgCode) return;
      if (!after) setRows(null);
      try {
        const page = await api.staff(orgCode, after);
        setRows((prev) => (after ? [...(prev ?? []), ...page.items] : page.items));
        setNext(page.next);
        learnNames(page.items);
      } catch (e) {
        setRows([]);
        void message.error(errorText(e));
      }
    },
    [orgCode, message],
  );
  useEffect(() => void load(), [load]);

  const replace = (updated: StaffMember) => {
    setRows((prev) => (prev ?? []).map((s) => (s.accountId === updated.accountId ? updated : s)));
    if (editing?.accountId === updated.accountId) setEditing(updated);
    learnNames([updated]);
  };

  const create = async (v: NewStaff) => {
    setBusy(true);
    try {
      const created = await api.createStaff({
        username: v.username.trim(),
        name: v.name.trim(),
        password: v.password,
        roles: [{ role: v.role, orgCode: v.orgCode }],
      });
      void message.success(t(`已新建 ${created.name}`, `${created.name} added`));
      setAdding(false);
      form.resetFields();
      await load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const grant = async () => {
    if (!editing || !newRole.role || !newRole.orgCode || !grantRoles?.includes(newRole.role)) return;
    setBusy(true);
    try {
      replace(await api.grantRole(editing.accountId, { role: newRole.role, orgCode: newRole.orgCode }));
      setNewRole({});
      void message.success(t('已授予角色', 'Role granted'));
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (member: StaffMember, role: Role) => {
    try {
      replace(await api.revokeRole(member.accountId, role));
      void message.success(t('已撤销角色', 'Role revoked'));
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  const toggle = (member: StaffMember) => {
    const enable = member.status === 'disabled';
    modal.confirm({
      title: enable ? t(`启用 ${member.name} 的账号`, `Enable ${member.name}`) : t(`停用 ${member.name} 的账号`, `Disable ${member.name}`),
      content: enable
        ? t('启用后可重新登录。', 'They can log in again.')
        : t('停用后立即退出其所有登录，且不能再登录。', 'All their sessions end at once and they can no longer log in.'),
      okText: enable ? t('启用', 'Enable') : t('停用', 'Disable'),
      okButtonProps: { danger: !enable },
      cancelText: t('取消', 'Cancel'),
      onOk: async () => {
        try {
          const r = await api.setAccountEnabled(member.accountId, enable);
          replace({ ...member, status: r.status === 'disabled' ? 'disabled' : 'active' });
          void message.success(enable ? t('已启用', 'Enabled') : t('已停用', 'Disabled'));
        } catch (e) {
          void message.error(errorText(e));
        }
      },
    });
  };

  const roleLabel = (r: Role) => `${ROLE_TEXT[r.role] ? pick(ROLE_TEXT[r.role]!) : r.role} · ${nameOf(r.orgCode)}`;
  const roleOptions = (roles: StaffRole[] | null) => (roles ?? []).map((r) => ({ value: r, label: ROLE_TEXT[r] ? pick(ROLE_TEXT[r]) : r }));
  const noRoles = (roles: StaffRole[] | null) =>
    roles?.length === 0 ? t('您不能在该单位授予任何角色', 'You may grant no role at this organisation') : undefined;

  if (roots.length === 0)
    return <Empty description={t('只有乡镇及以上管理员可管理人员', 'Only township and higher administrators manage staff')} />;
  return (
    <Card
      title={t('人员管理', 'Staff')}
      variant="borderless"
      extra={
        <Space>
          <OrgPicker roots={roots} value={orgCode} onChange={(code) => setOrgCode(code)} label={t('选择单位', 'Organisation')} />
          <Button type="primary" onClick={() => setAdding(true)}>
            {t('新增人员', 'Add staff')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph className="cs-muted">
        {t(
          '列出在本单位及下级单位任职的工作人员。管理员只能授予其管辖范围内的角色；上级管理员角色须由更高一级授予。',
          'Staff holding a role here or below. Administrators grant roles within their area only; an administrator role is granted from the level above.',
        )}
      </Typography.Paragraph>
      <Table<StaffMember>
        rowKey="accountId"
        size="middle"
        loading={rows === null}
        dataSource={rows ?? []}
        pagination={false}
        rowClassName={(r) => (r.status === 'disabled' ? 'cs-disabled' : '')}
        locale={{ emptyText: <Empty description={t('暂无人员', 'No staff')} /> }}
        columns={[
          { title: t('姓名', 'Name'), dataIndex: 'name' },
          { title: t('用户名', 'Username'), dataIndex: 'username' },
          {
            title: t('角色', 'Roles'),
            render: (_, s) => (
              <Space wrap size={4}>
                {s.roles.map((r) => (
                  <Tag key={`${r.role}|${r.orgCode}`} color="blue">
                    {roleLabel(r)}
                  </Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('状态', 'Status'),
            render: (_, s) =>
              s.status === 'active' ? <Tag color="green">{t('正常', 'Active')}</Tag> : <Tag color="red">{t('已停用', 'Disabled')}</Tag>,
          },
          { title: t('创建时间', 'Created'), render: (_, s) => formatDateTime(s.createdAt, lang) },
          {
            title: t('操作', 'Actions'),
            render: (_, s) =>
              s.accountId === me?.account.id ? (
                <span className="cs-muted">{t('本人', 'You')}</span>
              ) : (
                <Space>
                  <Button size="small" onClick={() => (setNewRole({ orgCode }), setEditing(s))}>
                    {t('调整角色', 'Change roles')}
                  </Button>
                  <Button size="small" danger={s.status === 'active'} onClick={() => toggle(s)}>
                    {s.status === 'active' ? t('停用', 'Disable') : t('启用', 'Enable')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      {next && (
        <div className="cs-pager">
          <Button onClick={() => void load(next)}>{t('加载更多', 'Load more')}</Button>
        </div>
      )}

      <Modal
        open={adding}
        title={t('新增工作人员', 'Add a staff member')}
        okText={t('新建', 'Create')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={busy}
        okButtonProps={{ disabled: !newStaffRole || !createRoles?.includes(newStaffRole) }}
        onOk={() => form.submit()}
        onCancel={() => setAdding(false)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={(v) => void create(v)}>
          <Form.Item name="name" label={t('姓名', 'Name')} rules={[{ required: true, message: t('请输入姓名', 'Enter the name') }]}>
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item
            name="username"
            label={t('用户名', 'Username')}
            rules={[
              {
                required: true,
                pattern: /^[a-z0-9][a-z0-9._-]{2,31}$/i,
                message: t('3–32 位字母、数字或 . _ -', '3–32 letters, digits or . _ -'),
              },
            ]}
          >
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('初始密码', 'Initial password')}
            rules={[{ required: true, min: 10, message: t('至少 10 位，不要用常见密码', 'At least 10 characters, not a common password') }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            name="orgCode"
            label={t('任职单位', 'Organisation')}
            rules={[{ required: true, message: t('请选择单位', 'Choose the organisation') }]}
          >
            <OrgPicker
              id="new-staff-org"
              roots={roots}
              width={440}
              onChange={(code) => form.setFieldValue('orgCode', code)}
              label={t('任职单位', 'Organisation')}
            />
          </Form.Item>
          <Form.Item
            name="role"
            label={t('角色', 'Role')}
            rules={[{ required: true, message: t('请选择角色', 'Choose the role') }]}
            help={noRoles(createRoles)}
            validateStatus={createRoles?.length === 0 ? 'warning' : undefined}
          >
            <Select
              options={roleOptions(createRoles)}
              aria-label={t('角色', 'Role')}
              placeholder={newStaffOrg ? undefined : t('先选择任职单位', 'Choose the organisation first')}
            />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={editing !== null}
        title={editing ? t(`调整 ${editing.name} 的角色`, `Roles of ${editing.name}`) : ''}
        footer={null}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        {editing && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <div data-testid="current-roles">
              {editing.roles.map((r) => (
                <Tag
                  key={`${r.role}|${r.orgCode}`}
                  color="blue"
                  closable
                  closeIcon={<span aria-label={t(`撤销 ${roleLabel(r)}`, `Revoke ${roleLabel(r)}`)}>×</span>}
                  onClose={(e) => (e.preventDefault(), void revoke(editing, r))}
                >
                  {roleLabel(r)}
                </Tag>
              ))}
            </div>
            <Typography.Text strong>{t('授予新角色', 'Grant a role')}</Typography.Text>
            <Space wrap>
              <Select
                style={{ width: 160 }}
                placeholder={t('角色', 'Role')}
                aria-label={t('新角色', 'New role')}
                value={newRole.role}
                onChange={(role: StaffRole) => setNewRole((x) => ({ ...x, role }))}
                options={roleOptions(grantRoles)}
              />
              <OrgPicker
                roots={roots}
                value={newRole.orgCode}
                onChange={(code) => setNewRole((x) => ({ ...x, orgCode: code }))}
                label={t('任职单位', 'Organisation')}
              />
              <Button
                type="primary"
                disabled={!newRole.role || !newRole.orgCode || !grantRoles?.includes(newRole.role)}
                loading={busy}
                onClick={() => void grant()}
              >
                {t('授予', 'Grant')}
              </Button>
            </Space>
            {noRoles(grantRoles) && <Typography.Text type="warning">{noRoles(grantRoles)}</Typography.Text>}
          </Space>
        )}
      </Modal>
    </Card>
  );
}
