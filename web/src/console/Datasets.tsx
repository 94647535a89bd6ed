import { App as AntApp, Button, Card, Descriptions, Empty, Form, Input, Modal, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Dataset, Grant } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { ADAPTER_COLOURS, ADAPTER_LABELS, OrgPicker, SENSITIVITY, useMyOrgs } from './sharing-common.tsx';
import './sharing.css';

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
