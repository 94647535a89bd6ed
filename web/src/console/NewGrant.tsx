import { App as AntApp, Checkbox, Form, Input, Modal, Select, Switch } from 'antd';
import { useEffect, useState } from 'react';
import type { Dataset, LegalBasis, Org, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText } from './context.ts';

/** The new-grant form: dataset, consumer, fields, purpose, and a catalogued legal basis when consent is waived. */
export function NewGrant({
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
