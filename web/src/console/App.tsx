import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  Input,
  Layout,
  Menu,
  Modal,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { CaseAction, CaseDetail, CaseState, CaseSummary, Certificate, ServiceItem } from '../shared/api.ts';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { match, navigate, usePath } from '../shared/router.tsx';
import { api, errorText, formatDateTime, ROLE_TEXT, session } from './context.ts';
import { BundleMark, useBundleDefinitions } from './bundle-mark.tsx';
import { SHARING_MENU, SharingPage, sharingPageOf } from './sharing-routes.tsx';
import { Overview, overviewRoots } from './Overview.tsx';
import { Seals } from './Seals.tsx';
import { Staff } from './Staff.tsx';
import { BootstrapHint, ChangePasswordButton, Setup } from './Account.tsx';

const { Header, Sider, Content } = Layout;

const STATE_COLOR: Record<CaseState, string> = {
  draft: 'default',
  submitted: 'blue',
  accepted: 'cyan',
  in_review: 'geekblue',
  returned: 'orange',
  approved: 'green',
  rejected: 'red',
  completed: 'green',
};

const STATES: { value: CaseState; zh: string; en: string }[] = [
  { value: 'submitted', zh: '已提交', en: 'Submitted' },
  { value: 'accepted', zh: '已受理', en: 'Accepted' },
  { value: 'in_review', zh: '审核中', en: 'In review' },
  { value: 'returned', zh: '退回补正', en: 'Returned' },
  { value: 'approved', zh: '审核通过', en: 'Approved' },
  { value: 'rejected', zh: '不予通过', en: 'Rejected' },
  { value: 'completed', zh: '已办结', en: 'Completed' },
];

function Login() {
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

function Queue() {
  const { t, pick, lang } = useI18n();
  const { message, modal } = AntApp.useApp();
  const me = session.use();
  // The overview opens a village's queue with ?orgCode= (and &overdue=1).
  const linked = new URLSearchParams(location.search);
  const orgCodes = [
    ...new Set([
      ...(me?.account.roles ?? []).filter((r) => r.role !== 'helper').map((r) => r.orgCode),
      ...(linked.get('orgCode') ? [linked.get('orgCode')!] : []),
    ]),
  ];
  const [orgCode, setOrgCode] = useState<string | undefined>(linked.get('orgCode') ?? orgCodes[0]);
  const [orgNames, setOrgNames] = useState<Record<string, string>>({});
  const [state, setState] = useState<CaseState | undefined>(undefined);
  const [overdue, setOverdue] = useState(linked.get('overdue') === '1');
  const [serviceCode, setServiceCode] = useState<string | undefined>(undefined);
  const [services, setServices] = useState<ServiceItem[]>([]);
  // Keyset pagination: the cursors of the pages before this one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [rows, setRows] = useState<CaseSummary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const after = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<string[]>([]);
  // Bumped after a batch decision, to read the page again.
  const [reloads, setReloads] = useState(0);
  const [deciding, setDeciding] = useState(false);
  const bundleDefs = useBundleDefinitions();

  useEffect(() => {
    api.services().then(
      (r) => setServices(r.items),
      () => undefined,
    );
    for (const code of orgCodes) {
      api.org(code).then(
        (o) => setOrgNames((names) => ({ ...names, [code]: o.name })),
        () => undefined,
      );
    }
  }, []);
  useEffect(() => {
    if (!orgCode) {
      setRows([]);
      return;
    }
    setRows(null);
    setSelected([]);
    api
      .queue({ orgCode, state, overdue: overdue || undefined, serviceCode, after, limit: 50 })
      .then((p) => {
        setRows(p.items);
        setNext(p.next);
      })
      .catch((e: unknown) => {
        setRows([]);
        void message.error(errorText(e));
      });
  }, [orgCode, state, overdue, serviceCode, after, message, reloads]);

  const reset = () => setCursors([undefined]);

  // Batch approval: every selected case gets its own decision, seal and certificate; the answer
  // says per case what happened, and the page is read again.
  const approveSelected = () => {
    const ids = [...selected];
    modal.confirm({
      title: t(`批量审核通过 ${ids.length} 件`, `Approve ${ids.length} cases`),
      content: t(
        '将逐件记录审核通过，并为每件加盖本单位电子印章、签发电子证明。已办结或无权办理的办件不受影响。',
        'Each case is approved on its own and gets a certificate sealed by your organisation. Cases already decided or outside your remit are left as they are.',
      ),
      okText: t('确认通过', 'Approve'),
      cancelText: t('取消', 'Cancel'),
      onOk: async () => {
        setDeciding(true);
        try {
          const r = await api.batchDecide(ids, 'approve');
          const done = r.counts.approved;
          const left = ids.length - done;
          if (left === 0) void message.success(t(`已通过 ${done} 件，电子证明已签发`, `${done} approved, certificates issued`));
          else void message.warning(t(`已通过 ${done} 件，${left} 件未处理`, `${done} approved, ${left} not decided`));
          setReloads((n) => n + 1);
        } catch (e) {
          void message.error(errorText(e));
        } finally {
          setDeciding(false);
        }
      },
    });
  };

  return (
    <Card title={t('待办队列', 'Queue')} variant="borderless">
      <Space wrap className="cs-filters">
        <Select
          style={{ width: 220 }}
          aria-label={t('办理单位', 'Organisation')}
          value={orgCode}
          onChange={(v: string) => {
            setOrgCode(v);
            reset();
          }}
          options={orgCodes.map((code) => ({ value: code, label: orgNames[code] ?? code }))}
        />
        <Select
          allowClear
          style={{ width: 160 }}
          placeholder={t('全部状态', 'All states')}
          aria-label={t('状态', 'State')}
          value={state}
          onChange={(v: CaseState | undefined) => {
            setState(v);
            reset();
          }}
          options={STATES.map((s) => ({ value: s.value, label: t(s.zh, s.en) }))}
        />
        <Select
          allowClear
          style={{ width: 200 }}
          placeholder={t('全部事项', 'All services')}
          aria-label={t('事项', 'Service')}
          value={serviceCode}
          onChange={(v: string | undefined) => {
            setServiceCode(v);
            reset();
          }}
          options={services.map((s) => ({ value: s.code, label: lang === 'zh' ? s.nameZh : s.nameEn }))}
        />
        <label className="cs-switch">
          <Switch
            checked={overdue}
            onChange={(v) => {
              setOverdue(v);
              reset();
            }}
            aria-label={t('只看超期', 'Overdue only')}
          />
          <span>{t('只看超期', 'Overdue only')}</span>
        </label>
      </Space>
      <Space className="cs-batch">
        <Button type="primary" disabled={selected.length === 0} loading={deciding} onClick={approveSelected} data-testid="batch-approve">
          {t(`批量通过（${selected.length}）`, `Approve selected (${selected.length})`)}
        </Button>
      </Space>
      <Table<CaseSummary>
        rowKey="id"
        rowSelection={{
          selectedRowKeys: selected,
          onChange: (keys) => setSelected(keys.map(String)),
          getCheckboxProps: (r) => ({ 'aria-label': t(`选择 ${r.caseNo}`, `Select ${r.caseNo}`) }),
        }}
        loading={rows === null}
        dataSource={rows ?? []}
        pagination={false}
        size="middle"
        rowClassName={(r) => (r.overdue ? 'cs-overdue' : '')}
        onRow={(r) => ({
          // A click on the selection box selects; anywhere else on the row opens the case.
          onClick: (e) => {
            if ((e.target as HTMLElement).closest('.ant-table-selection-column')) return;
            navigate(`/console/cases/${r.id}`);
          },
          style: { cursor: 'pointer' },
        })}
        locale={{ emptyText: <Empty description={t('没有待办', 'Nothing to do')} /> }}
        columns={[
          {
            title: t('办件编号', 'Case no.'),
            dataIndex: 'caseNo',
            render: (v: string, r) => (
              <a href={`/console/cases/${r.id}`} onClick={(e) => e.preventDefault()}>
                {v}
              </a>
            ),
          },
          {
            title: t('事项', 'Service'),
            render: (_, r) => (
              <>
                {pick(r.serviceName)} <BundleMark serviceCode={r.serviceCode} defs={bundleDefs} />
              </>
            ),
          },
          { title: t('状态', 'State'), render: (_, r) => <Tag color={STATE_COLOR[r.state]}>{pick(r.stateLabel)}</Tag> },
          { title: t('提交时间', 'Submitted'), render: (_, r) => formatDateTime(r.submittedAt, lang) },
          {
            title: t('办结期限', 'Due'),
            render: (_, r) => (
              <span>
                {r.dueDate ?? '—'} {r.overdue && <Tag color="red">{t('已超期', 'Overdue')}</Tag>}
              </span>
            ),
          },
        ]}
      />
      <div className="cs-pager">
        <Button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t('上一页', 'Previous')}
        </Button>
        <span>{t(`第 ${cursors.length} 页`, `Page ${cursors.length}`)}</span>
        <Button disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
          {t('下一页', 'Next')}
        </Button>
      </div>
    </Card>
  );
}

const ACTION_TEXT: Record<string, { zh: string; en: string }> = {
  create: { zh: '保存草稿', en: 'Draft saved' },
  submit: { zh: '提交申请', en: 'Submitted' },
  accept: { zh: '受理', en: 'Accepted' },
  start_review: { zh: '开始审核', en: 'Review started' },
  return: { zh: '退回补正', en: 'Returned' },
  resubmit: { zh: '重新提交', en: 'Resubmitted' },
  approve: { zh: '审核通过', en: 'Approved' },
  reject: { zh: '不予通过', en: 'Rejected' },
  complete: { zh: '办结', en: 'Completed' },
};

function CaseView({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [c, setCase] = useState<CaseDetail | null>(null);
  const [service, setService] = useState<ServiceItem | null>(null);
  const [certificate, setCertificate] = useState<Certificate | null>(null);
  const [reasonFor, setReasonFor] = useState<'return' | 'reject' | 'revoke' | null>(null);
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const detail = await api.case(id);
      setCase(detail);
      setService(await api.service(detail.serviceCode));
      setCertificate(detail.state === 'approved' || detail.state === 'completed' ? await api.caseCertificate(id).catch(() => null) : null);
    } catch (e) {
      void message.error(errorText(e));
    }
  }, [id, message]);
  useEffect(() => void load(), [load]);

  if (!c) return <Spin />;
  const open = c.state === 'submitted' || c.state === 'accepted' || c.state === 'in_review';
  const label = (name: string) => {
    const f = service?.formFields.find((x) => x.name === name);
    return f ? (lang === 'zh' ? f.labelZh : f.labelEn) : name;
  };
  const value = (name: string, v: string) => {
    const o = service?.formFields.find((x) => x.name === name)?.options?.find((x) => x.value === v);
    return o ? (lang === 'zh' ? o.labelZh : o.labelEn) : v;
  };

  const act = async (action: CaseAction, why?: string) => {
    setBusy(true);
    try {
      await api.act(c.id, action, why);
      void message.success(t('已办理', 'Done'));
      setReasonFor(null);
      setReason('');
      setPreview(false);
      await load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async () => {
    if (!certificate) return;
    setBusy(true);
    try {
      setCertificate(await api.setCertificateStatus(certificate.id, 'revoked', reason.trim()));
      void message.success(t('证明已撤销', 'Certificate revoked'));
      setReasonFor(null);
      setReason('');
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Button onClick={() => navigate('/console')}>{t('← 返回队列', '← Back to the queue')}</Button>
      <Card
        title={
          <Space>
            <span>{pick(c.serviceName)}</span>
            <Tag color={STATE_COLOR[c.state]}>{pick(c.stateLabel)}</Tag>
            {c.overdue && <Tag color="red">{t('已超期', 'Overdue')}</Tag>}
          </Space>
        }
        extra={
          open && (
            <Space>
              {c.state === 'submitted' && (
                <Button onClick={() => void act('accept')} loading={busy}>
                  {t('受理', 'Accept')}
                </Button>
              )}
              {c.state === 'accepted' && (
                <Button onClick={() => void act('start_review')} loading={busy}>
                  {t('开始审核', 'Start review')}
                </Button>
              )}
              <Button onClick={() => setReasonFor('return')}>{t('退回补正', 'Return')}</Button>
              <Button danger onClick={() => setReasonFor('reject')}>
                {t('不予通过', 'Reject')}
              </Button>
              <Button type="primary" onClick={() => setPreview(true)}>
                {t('审核通过', 'Approve')}
              </Button>
            </Space>
          )
        }
      >
        <Descriptions column={2} bordered size="middle">
          <Descriptions.Item label={t('办件编号', 'Case no.')}>{c.caseNo}</Descriptions.Item>
          <Descriptions.Item label={t('办理单位', 'Handled by')}>{c.orgName}</Descriptions.Item>
          <Descriptions.Item label={t('申请人', 'Applicant')}>{c.applicant?.name ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('身份证号', 'ID number')}>
            <span data-testid="applicant-id">{c.applicant?.residentIdMasked ?? '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('提交时间', 'Submitted')}>{formatDateTime(c.submittedAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('办结期限', 'Due')}>{c.dueDate ?? '—'}</Descriptions.Item>
          {Object.entries(c.form).map(([k, v]) => (
            <Descriptions.Item key={k} label={label(k)}>
              {value(k, v)}
            </Descriptions.Item>
          ))}
          {c.returnReason && <Descriptions.Item label={t('退回原因', 'Return reason')}>{c.returnReason}</Descriptions.Item>}
        </Descriptions>
      </Card>
      {service && (
        <Card title={t('申请材料', 'Materials')} variant="borderless">
          <Space wrap>
            {service.materials.map((m) => (
              <Tag key={m.code} color={m.proofFree ? 'green' : 'gold'}>
                {lang === 'zh' ? m.nameZh : m.nameEn} ·{' '}
                {m.proofFree ? t('平台核验，免提交', 'checked by the platform') : t('申请人提交', 'from the applicant')}
              </Tag>
            ))}
          </Space>
        </Card>
      )}
      {certificate && (
        <Card
          title={t('已签发的电子证明', 'Issued certificate')}
          variant="borderless"
          extra={
            certificate.status === 'active' && (
              <Button danger onClick={() => setReasonFor('revoke')}>
                {t('撤销证明', 'Revoke')}
              </Button>
            )
          }
        >
          <Descriptions column={2} size="small">
            <Descriptions.Item label={t('证明', 'Certificate')}>{pick(certificate.typeName)}</Descriptions.Item>
            <Descriptions.Item label={t('状态', 'Status')}>
              <span data-testid="certificate-status">
                {certificate.status === 'active' ? (
                  <Tag color="green">{t('有效', 'Valid')}</Tag>
                ) : (
                  <Tag color="red">{t('已撤销', 'Revoked')}</Tag>
                )}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('证照标识', 'Identifier')}>{certificate.identifier}</Descriptions.Item>
            <Descriptions.Item label={t('出具时间', 'Issued')}>{formatDateTime(certificate.issuedAt, lang)}</Descriptions.Item>
          </Descriptions>
        </Card>
      )}
      <Card title={t('办理记录', 'History')} variant="borderless">
        <Timeline
          items={c.events.map((e) => ({
            color: e.action === 'return' || e.action === 'reject' ? 'red' : e.action === 'approve' ? 'green' : 'blue',
            children: (
              <div>
                <b>
                  {e.fromState === null
                    ? t('填写申请', 'Application filled in')
                    : ACTION_TEXT[e.action]
                      ? pick(ACTION_TEXT[e.action]!)
                      : e.action}
                </b>{' '}
                · {formatDateTime(e.at, lang)}
                {e.reason && <div className="cs-muted">{e.reason}</div>}
                {e.onBehalfOf && <div className="cs-muted">{t('帮办代办', 'by a helper')}</div>}
              </div>
            ),
          }))}
        />
      </Card>

      <Modal
        open={preview}
        title={t('证明预览：确认后加盖电子印章并签发', 'Preview: approving seals and issues this certificate')}
        okText={t('确认通过并签发', 'Approve and issue')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={busy}
        onOk={() => void act('approve')}
        onCancel={() => setPreview(false)}
        width={640}
      >
        <div className="cs-preview" data-testid="certificate-preview">
          <div className="cs-preview-title">
            {service?.certificateType ? pick({ zh: service.nameZh, en: service.nameEn }) : pick(c.serviceName)}
          </div>
          <p>
            {t('兹证明', 'This is to certify that')} <b>{c.applicant?.name}</b>（{c.applicant?.residentIdMasked}）
          </p>
          {Object.entries(c.form).map(([k, v]) => (
            <p key={k}>
              {label(k)}：{value(k, v)}
            </p>
          ))}
          <div className="cs-preview-seal">
            <span>{c.orgName}</span>
            <span className="cs-seal" aria-hidden="true">
              {t('电子印章', 'seal')}
            </span>
          </div>
        </div>
      </Modal>
      <Modal
        open={reasonFor !== null}
        title={
          reasonFor === 'return'
            ? t('退回补正', 'Return for correction')
            : reasonFor === 'reject'
              ? t('不予通过', 'Reject')
              : t('撤销证明', 'Revoke the certificate')
        }
        okText={t('确定', 'Confirm')}
        cancelText={t('取消', 'Cancel')}
        okButtonProps={{ disabled: reason.trim() === '', danger: reasonFor !== 'return' }}
        confirmLoading={busy}
        onOk={() => void (reasonFor === 'revoke' ? revoke() : reasonFor && act(reasonFor, reason.trim()))}
        onCancel={() => setReasonFor(null)}
      >
        <Typography.Paragraph>
          {reasonFor === 'return'
            ? t('请写明需要补正的内容，申请人将看到这段话。', 'Say what needs correcting: the applicant sees this.')
            : t('请写明理由，将记入办理记录和存证账本。', 'Give the reason: it goes into the history and the ledger.')}
        </Typography.Paragraph>
        <Input.TextArea
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-label={t('理由', 'Reason')}
          maxLength={500}
        />
      </Modal>
    </Space>
  );
}

export function ConsoleApp() {
  const { t, pick } = useI18n();
  const path = usePath();
  const me = session.use();
  useEffect(() => {
    if (!me && path !== '/console/login' && path !== '/console/setup') navigate('/console/login', { replace: true });
  }, [me, path]);
  if (path === '/console/login') return <Login />;
  if (path === '/console/setup') return <Setup />;
  if (!me) return null;
  const caseMatch = match('/console/cases/:id', path);
  const logout = async () => {
    await api.logout().catch(() => undefined);
    session.clear();
  };
  const role = me.account.roles[0];
  const roleNames = new Set(me.account.roles.map((r) => r.role));
  const admin = ['township_admin', 'county_admin', 'city_admin', 'platform_admin'].some((r) => roleNames.has(r));
  const menu = [
    { key: 'queue', label: t('待办队列', 'Queue'), onClick: () => navigate('/console') },
    ...(overviewRoots(me.account.roles).length > 0
      ? [{ key: 'overview', label: t('四级总览', 'Overview'), onClick: () => navigate('/console/overview') }]
      : []),
    ...(admin ? [{ key: 'staff', label: t('人员管理', 'Staff'), onClick: () => navigate('/console/staff') }] : []),
    { key: 'seals', label: t('印章与手签', 'Seals and signatures'), onClick: () => navigate('/console/seals') },
  ];
  const section = path.startsWith('/console/overview')
    ? 'overview'
    : path.startsWith('/console/staff')
      ? 'staff'
      : path.startsWith('/console/seals')
        ? 'seals'
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
            <CaseView id={caseMatch.id!} />
          ) : sharingPageOf(path) ? (
            <SharingPage path={path} />
          ) : section === 'overview' ? (
            <Overview />
          ) : section === 'staff' ? (
            <Staff />
          ) : section === 'seals' ? (
            <Seals />
          ) : (
            <Queue key={location.search} />
          )}
        </Content>
      </Layout>
    </Layout>
  );
}
