import {
  App as AntApp,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Empty,
  Form,
  Input,
  Modal,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Dataset, Grant, LegalBasis, Org, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime, session } from './context.ts';
import './sharing.css';

/** How a dataset is served, as the catalogue names it. */
const ADAPTER_LABELS: Record<'internal' | 'external' | 'licences', [string, string]> = {
  internal: ['平台内数据', 'Kept in the platform'],
  external: ['部门系统接口', "Department's own system"],
  licences: ['电子证照库', 'E-licence library'],
};
const ADAPTER_COLOURS: Record<'internal' | 'external' | 'licences', string> = { internal: 'blue', external: 'purple', licences: 'red' };

const SENSITIVITY = {
  low: { zh: '一般', en: 'Low', color: 'default' },
  medium: { zh: '敏感', en: 'Sensitive', color: 'orange' },
  high: { zh: '高度敏感', en: 'Highly sensitive', color: 'red' },
} as const;

/** The orgs the signed-in officer works for, with their names. */
function useMyOrgs(): { codes: string[]; names: Record<string, string> } {
  const me = session.use();
  const codes = [...new Set((me?.account.roles ?? []).filter((r) => r.role !== 'helper').map((r) => r.orgCode))];
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const code of codes)
      api.org(code).then(
        (o) => setNames((n) => ({ ...n, [code]: o.name })),
        () => undefined,
      );
  }, [codes.join(',')]);
  return { codes, names };
}

function OrgPicker({
  codes,
  names,
  value,
  onChange,
}: {
  codes: string[];
  names: Record<string, string>;
  value: string | undefined;
  onChange: (v: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Select
      style={{ minWidth: 260 }}
      value={value}
      onChange={onChange}
      aria-label={t('单位', 'Organisation')}
      options={codes.map((c) => ({ value: c, label: names[c] ? `${names[c]}（${c}）` : c }))}
    />
  );
}

function grantState(g: Grant): 'live' | 'revoked' | 'expired' | 'pending' | 'refused' {
  if (g.status === 'pending_approval') return 'pending';
  if (g.status === 'refused') return 'refused';
  if (g.revokedAt) return 'revoked';
  return new Date(g.validUntil) > new Date() ? 'live' : 'expired';
}

/** 共享授权: the standing grants the officer's organisation gave (and may revoke) or received. */
export function Grants() {
  const { t, lang } = useI18n();
  const { message, modal } = AntApp.useApp();
  const { codes, names } = useMyOrgs();
  const [orgCode, setOrgCode] = useState<string | undefined>(codes[0]);
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [services, setServices] = useState<ServiceItem[]>([]);
  const [creating, setCreating] = useState(false);

  const load = useCallback(async () => {
    if (!orgCode) return;
    setGrants(null);
    try {
      setGrants(await api.grants(orgCode));
    } catch (e) {
      setGrants([]);
      void message.error(errorText(e));
    }
  }, [orgCode, message]);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    api.datasets().then(setDatasets, () => undefined);
    api.services().then(
      (r) => setServices(r.items),
      () => undefined,
    );
  }, []);

  const datasetOf = (code: string) => datasets.find((d) => d.code === code);
  const fieldLabel = (d: Dataset | undefined, name: string) => {
    const f = d?.fields.find((x) => x.name === name);
    return f ? (lang === 'zh' ? f.labelZh : f.labelEn) : name;
  };
  const purposeText = (purpose: string) => {
    const s = services.find((x) => x.code === purpose);
    return s ? `${lang === 'zh' ? s.nameZh : s.nameEn}（${purpose}）` : purpose;
  };

  const revoke = (g: Grant) =>
    modal.confirm({
      title: t('撤销这项共享授权？', 'Revoke this grant?'),
      content: t(
        `撤销后，${g.consumer.name} 不能再以此授权调取数据；已完成的数据交换记录保留。`,
        `${g.consumer.name} can no longer fetch data under it; past exchanges stay on record.`,
      ),
      okText: t('撤销', 'Revoke'),
      okButtonProps: { danger: true },
      cancelText: t('取消', 'Cancel'),
      onOk: async () => {
        try {
          await api.revokeGrant(g.id);
          void message.success(t('已撤销', 'Revoked'));
          await load();
        } catch (e) {
          void message.error(errorText(e));
        }
      },
    });

  const own = datasets.filter((d) => d.provider.code === orgCode);
  return (
    <Card
      className="bw-scope"
      title={t('共享授权', 'Data sharing grants')}
      extra={
        <Button type="primary" disabled={own.length === 0} onClick={() => setCreating(true)}>
          {t('新建授权', 'New grant')}
        </Button>
      }
    >
      <PendingGrants onDecided={() => void load()} />
      <Space wrap className="cs-filters">
        <OrgPicker codes={codes} names={names} value={orgCode} onChange={setOrgCode} />
      </Space>
      <Table<Grant>
        rowKey="id"
        loading={grants === null}
        dataSource={grants ?? []}
        pagination={false}
        size="middle"
        locale={{ emptyText: <Empty description={t('没有共享授权', 'No grants')} /> }}
        columns={[
          {
            title: t('方向', 'Direction'),
            render: (_, g) =>
              g.provider.code === orgCode ? (
                <Tag color="blue">{t('本单位授予', 'Given')}</Tag>
              ) : (
                <Tag color="cyan">{t('本单位获得', 'Received')}</Tag>
              ),
          },
          {
            title: t('数据', 'Dataset'),
            width: 210,
            render: (_, g) => {
              const d = datasetOf(g.datasetCode);
              return (
                <div>
                  <div>{d ? (lang === 'zh' ? d.nameZh : d.nameEn) : g.datasetCode}</div>
                  <Typography.Text className="cs-muted">
                    {g.provider.name} → {g.consumer.name}
                  </Typography.Text>
                </div>
              );
            },
          },
          { title: t('字段', 'Fields'), render: (_, g) => g.fields.map((f) => fieldLabel(datasetOf(g.datasetCode), f)).join('、') },
          { title: t('用途', 'Purpose'), render: (_, g) => purposeText(g.purpose) },
          { title: t('依据', 'Legal basis'), dataIndex: 'legalBasis', width: 220 },
          {
            title: t('本人同意', 'Consent'),
            render: (_, g) =>
              g.consentRequired ? <Tag color="orange">{t('需本人同意', 'Required')}</Tag> : <Tag>{t('法定免同意', 'Waived by law')}</Tag>,
          },
          { title: t('有效期至', 'Valid until'), render: (_, g) => formatDateTime(g.validUntil, lang) },
          {
            title: t('状态', 'Status'),
            render: (_, g) => {
              const s = grantState(g);
              const label = {
                live: t('有效', 'Live'),
                revoked: t('已撤销', 'Revoked'),
                expired: t('已过期', 'Expired'),
                pending: t('待审批', 'Awaiting approval'),
                refused: t('不予批准', 'Refused'),
              }[s];
              return <Tag color={s === 'live' ? 'green' : s === 'pending' ? 'gold' : s === 'refused' ? 'red' : 'default'}>{label}</Tag>;
            },
          },
          {
            title: t('操作', 'Action'),
            render: (_, g) =>
              g.provider.code === orgCode && grantState(g) === 'live' ? (
                <Button danger size="small" onClick={() => void revoke(g)}>
                  {t('撤销', 'Revoke')}
                </Button>
              ) : null,
          },
        ]}
      />
      {creating && <NewGrant datasets={own} services={services} onClose={() => setCreating(false)} onCreated={() => void load()} />}
    </Card>
  );
}

/**
 * 待审批: waived-consent grants waiting for a supervisor. The supervisor approves or refuses
 * (with a reason); the requester sees their own request here but the server refuses their decision.
 */
function PendingGrants({ onDecided }: { onDecided: () => void }) {
  const { t, lang } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [pending, setPending] = useState<Grant[]>([]);
  const load = useCallback(() => {
    api.pendingGrants().then(setPending, () => setPending([]));
  }, []);
  useEffect(load, [load]);

  const decide = async (action: () => Promise<Grant>, done: string) => {
    try {
      await action();
      void message.success(done);
      load();
      onDecided();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const refuse = (g: Grant) => {
    let reason = '';
    void modal.confirm({
      title: t('不予批准这项授权？', 'Refuse this grant?'),
      content: (
        <Input.TextArea
          rows={2}
          maxLength={500}
          aria-label={t('理由', 'Reason')}
          placeholder={t('请填写理由', 'Give the reason')}
          onChange={(e) => (reason = e.target.value)}
        />
      ),
      okText: t('不予批准', 'Refuse'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger: true },
      onOk: () => decide(() => api.refuseGrant(g.id, reason), t('已不予批准', 'Refused')),
    });
  };

  if (pending.length === 0) return null;
  return (
    <Card
      size="small"
      type="inner"
      title={t(`待审批的免同意授权（${pending.length}）`, `Waived-consent grants awaiting approval (${pending.length})`)}
      style={{ marginBottom: 16 }}
    >
      <Table<Grant>
        rowKey="id"
        dataSource={pending}
        pagination={false}
        size="small"
        columns={[
          { title: t('数据', 'Dataset'), render: (_, g) => `${g.datasetCode}：${g.provider.name} → ${g.consumer.name}` },
          { title: t('字段', 'Fields'), render: (_, g) => g.fields.join('、') },
          {
            title: t('法定依据', 'Legal basis'),
            render: (_, g) =>
              g.legalBasisRef
                ? lang === 'zh'
                  ? `${g.legalBasisRef.titleZh}${g.legalBasisRef.articleZh}`
                  : `${g.legalBasisRef.titleEn} ${g.legalBasisRef.articleEn}`
                : g.legalBasis,
          },
          {
            title: t('操作', 'Action'),
            render: (_, g) => (
              <Space>
                <Button
                  size="small"
                  type="primary"
                  onClick={() => void decide(() => api.approveGrant(g.id), t('已批准，授权生效', 'Approved; the grant is active'))}
                >
                  {t('批准', 'Approve')}
                </Button>
                <Button size="small" danger onClick={() => refuse(g)}>
                  {t('不予批准', 'Refuse')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

function NewGrant({
  datasets,
  services,
  onClose,
  onCreated,
}: {
  datasets: Dataset[];
  services: ServiceItem[];
  onClose: () => void;
  onCreated: () => void;
}) {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [datasetCode, setDatasetCode] = useState<string | undefined>(datasets[0]?.code);
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [bases, setBases] = useState<LegalBasis[]>([]);
  const consentRequired = Form.useWatch('consentRequired', form) as boolean | undefined;
  useEffect(() => {
    api.legalBases().then(setBases, () => undefined);
  }, []);
  const dataset = datasets.find((d) => d.code === datasetCode);
  const inYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

  const submit = async () => {
    const v = (await form.validateFields()) as {
      consumerOrgCode: string;
      fields: string[];
      purpose: string;
      legalBasis: string;
      legalBasisCode?: string;
      consentRequired: boolean;
      validUntil: string;
    };
    setBusy(true);
    try {
      await api.createGrant({ ...v, datasetCode: datasetCode!, validUntil: new Date(`${v.validUntil}T23:59:59+08:00`).toISOString() });
      void message.success(
        v.consentRequired
          ? t('已授予', 'Granted')
          : t('已提交，待督查员审批后生效', 'Submitted; it takes effect once a supervisor approves it'),
      );
      onCreated();
      onClose();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('新建共享授权', 'New grant')}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={t('授予', 'Grant')}
      cancelText={t('取消', 'Cancel')}
      confirmLoading={busy}
      width={640}
    >
      <Form form={form} layout="vertical" initialValues={{ consentRequired: true, validUntil: inYear }}>
        <Form.Item label={t('数据', 'Dataset')} required>
          <Select
            value={datasetCode}
            onChange={setDatasetCode}
            aria-label={t('数据', 'Dataset')}
            options={datasets.map((d) => ({ value: d.code, label: lang === 'zh' ? d.nameZh : d.nameEn }))}
          />
        </Form.Item>
        <Form.Item
          name="consumerOrgCode"
          label={t('获授权单位', 'Consumer organisation')}
          rules={[{ required: true, message: t('请选择单位', 'Choose an organisation') }]}
        >
          <Select
            showSearch
            filterOption={false}
            aria-label={t('获授权单位', 'Consumer organisation')}
            placeholder={t('输入单位名称搜索', 'Search by name')}
            onSearch={(q) => {
              if (q.trim())
                api.searchOrgs(q.trim()).then(
                  (r) => setOrgs(r.items),
                  () => undefined,
                );
            }}
            options={orgs.map((o) => ({ value: o.code, label: `${o.name}（${o.code}）` }))}
          />
        </Form.Item>
        <Form.Item
          name="fields"
          label={t('字段', 'Fields')}
          rules={[{ required: true, message: t('请至少选择一个字段', 'Choose at least one field') }]}
        >
          <Checkbox.Group options={(dataset?.fields ?? []).map((f) => ({ value: f.name, label: lang === 'zh' ? f.labelZh : f.labelEn }))} />
        </Form.Item>
        <Form.Item
          name="purpose"
          label={t('用途（事项）', 'Purpose (service)')}
          rules={[{ required: true, message: t('请选择用途', 'Choose a purpose') }]}
        >
          <Select
            showSearch
            aria-label={t('用途', 'Purpose')}
            options={services.map((s) => ({ value: s.code, label: `${lang === 'zh' ? s.nameZh : s.nameEn}（${s.code}）` }))}
          />
        </Form.Item>
        <Form.Item
          name="legalBasis"
          label={t('法律依据', 'Legal basis')}
          rules={[{ required: true, message: t('请填写法律依据', 'A legal basis is required') }]}
        >
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        <Form.Item
          name="consentRequired"
          label={t('需本人同意', 'Needs the resident’s consent')}
          valuePropName="checked"
          extra={t('仅在法律明确规定无需同意时关闭', 'Turn off only where the law waives consent')}
        >
          <Switch />
        </Form.Item>
        {consentRequired === false && (
          <Form.Item
            name="legalBasisCode"
            label={t('法定依据（目录）', 'Legal basis (catalogue)')}
            rules={[{ required: true, message: t('免同意的授权须选择法定依据', 'A waived-consent grant must cite a legal basis') }]}
            extra={t('提交后须由督查员审批才生效', 'It takes effect only after a supervisor approves it')}
          >
            <Select
              aria-label={t('法定依据', 'Legal basis')}
              options={bases.map((b) => ({
                value: b.code,
                label: lang === 'zh' ? `${b.titleZh}${b.articleZh}：${b.summaryZh}` : `${b.titleEn} ${b.articleEn}: ${b.summaryEn}`,
              }))}
            />
          </Form.Item>
        )}
        <Form.Item name="validUntil" label={t('有效期至', 'Valid until')} rules={[{ required: true }]}>
          <Input type="date" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** 数据目录: what the officer's organisation publishes (fields, sensitivity, legal basis, adapter), and the whole catalogue. */
export function Datasets() {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const { codes, names } = useMyOrgs();
  const [orgCode, setOrgCode] = useState<string | undefined>(codes[0]);
  const [scope, setScope] = useState<'own' | 'all'>('own');
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [grants, setGrants] = useState<Grant[]>([]);

  useEffect(() => {
    setDatasets(null);
    api.datasets(scope === 'own' ? orgCode : undefined).then(setDatasets, (e: unknown) => {
      setDatasets([]);
      void message.error(errorText(e));
    });
    if (orgCode) api.grants(orgCode).then(setGrants, () => setGrants([]));
  }, [orgCode, scope, message]);

  return (
    <Card className="bw-scope" title={t('数据目录', 'Data catalogue')}>
      <Space wrap className="cs-filters">
        <OrgPicker codes={codes} names={names} value={orgCode} onChange={setOrgCode} />
        <Segmented
          value={scope}
          onChange={(v) => setScope(v as 'own' | 'all')}
          options={[
            { value: 'own', label: t('本单位发布', 'Published by us') },
            { value: 'all', label: t('全部目录', 'Whole catalogue') },
          ]}
        />
      </Space>
      {datasets?.length === 0 && (
        <Empty
          description={
            scope === 'own' ? t('本单位尚未发布数据', 'Your organisation publishes no dataset') : t('目录为空', 'The catalogue is empty')
          }
        />
      )}
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        {(datasets ?? []).map((d) => {
          const given = grants.filter((g) => g.datasetCode === d.code && g.provider.code === orgCode && !g.revokedAt);
          return (
            <Card
              key={d.code}
              type="inner"
              title={`${lang === 'zh' ? d.nameZh : d.nameEn}（${d.code}）`}
              extra={<Tag color={ADAPTER_COLOURS[d.adapter]}>{t(...ADAPTER_LABELS[d.adapter])}</Tag>}
              data-testid={`dataset-${d.code}`}
            >
              <Descriptions
                size="small"
                column={2}
                items={[
                  { key: 'p', label: t('提供单位', 'Provider'), children: d.provider.name },
                  { key: 'l', label: t('依据', 'Legal basis'), children: d.legalBasis },
                  {
                    key: 'g',
                    label: t('有效授权', 'Live grants'),
                    children: d.provider.code === orgCode ? t(`${given.length} 项`, `${given.length}`) : '—',
                  },
                  {
                    key: 'a',
                    label: t('数据维护', 'Records'),
                    children:
                      d.adapter === 'internal' ? (
                        d.provider.code === orgCode ? (
                          <RecordsCell dataset={d} />
                        ) : (
                          t('由提供单位在平台内维护', 'Kept in the platform by the provider')
                        )
                      ) : d.adapter === 'licences' ? (
                        t(
                          '平台签发的电子证照：返回持证人当前有效证照的字段与证照标识，作废、挂起或过期的证照不作为证据。',
                          "Certificates issued on the platform: the holder's current certificate's fields and identifier; revoked, suspended or expired certificates are not evidence.",
                        )
                      ) : (
                        t(
                          '数据留在部门自有系统，经签名接口按次调取。',
                          "The data stays in the department's system and is fetched per request over a signed interface.",
                        )
                      ),
                  },
                ]}
              />
              <Table
                rowKey="name"
                size="small"
                pagination={false}
                style={{ marginTop: 12 }}
                dataSource={d.fields}
                columns={[
                  { title: t('字段', 'Field'), render: (_, f) => (lang === 'zh' ? f.labelZh : f.labelEn) },
                  { title: t('代码', 'Code'), dataIndex: 'name' },
                  {
                    title: t('敏感级别', 'Sensitivity'),
                    render: (_, f) => <Tag color={SENSITIVITY[f.sensitivity].color}>{pick(SENSITIVITY[f.sensitivity])}</Tag>,
                  },
                ]}
              />
            </Card>
          );
        })}
      </Space>
    </Card>
  );
}

/**
 * An internal dataset's records, for the department that keeps them: how many, when last changed,
 * and one person's record written by ID number. Records are never listed here; each write is a
 * ledger leaf (digests only), each use an exchange the resident sees.
 */
function RecordsCell({ dataset }: { dataset: Dataset }) {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [summary, setSummary] = useState<{ records: number; lastUpdatedAt: string | null } | null>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();
  const load = useCallback(() => {
    api.datasetRecordsSummary(dataset.code).then(setSummary, () => setSummary(null));
  }, [dataset.code]);
  useEffect(load, [load]);

  const save = async () => {
    const v = (await form.validateFields()) as Record<string, string | undefined>;
    const { residentId, ...rest } = v;
    const data: Record<string, string> = {};
    for (const [k, value] of Object.entries(rest)) if (value?.trim()) data[k] = value.trim();
    setBusy(true);
    try {
      const r = await api.putDatasetRecord(dataset.code, { residentId: residentId ?? '', data });
      void message.success(
        r.replaced
          ? t(`记录已更新（账本条目 ${r.ledgerEntryId}）`, `Record replaced (ledger entry id ${r.ledgerEntryId})`)
          : t(`记录已写入（账本条目 ${r.ledgerEntryId}）`, `Record written (ledger entry id ${r.ledgerEntryId})`),
      );
      form.resetFields();
      setOpen(false);
      load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space wrap>
      <span data-testid={`records-${dataset.code}`}>
        {summary
          ? t(
              `共 ${summary.records} 条记录，最近更新 ${formatDateTime(summary.lastUpdatedAt, lang)}`,
              `${summary.records} records, last changed ${formatDateTime(summary.lastUpdatedAt, lang)}`,
            )
          : '—'}
      </span>
      <Button size="small" onClick={() => setOpen(true)}>
        {t('写入记录', 'Write a record')}
      </Button>
      <Modal
        open={open}
        title={t(`写入记录 · ${dataset.nameZh}`, `Write a record · ${dataset.nameEn}`)}
        onCancel={() => setOpen(false)}
        onOk={() => void save()}
        okText={t('写入', 'Write')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={busy}
      >
        <Typography.Paragraph className="cs-muted">
          {t(
            '按身份证号写入或整体替换一人的记录。平台以号码的密钥哈希为键保存，账本只记摘要。',
            "Writes or replaces one person's record by ID number. The platform keys it by a keyed hash of the number; the ledger gets digests only.",
          )}
        </Typography.Paragraph>
        <Form form={form} layout="vertical">
          <Form.Item
            name="residentId"
            label={t('身份证号', 'Resident ID number')}
            rules={[{ required: true, len: 18, message: t('请输入 18 位身份证号', 'Enter the 18-character ID number') }]}
          >
            <Input maxLength={18} autoComplete="off" />
          </Form.Item>
          {dataset.fields.map((f) => (
            <Form.Item key={f.name} name={f.name} label={lang === 'zh' ? f.labelZh : f.labelEn}>
              <Input maxLength={500} />
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </Space>
  );
}
