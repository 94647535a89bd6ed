import { App as AntApp, Button, Card, Form, Input, Select, Table, Tag, Typography, Upload } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { newKey, type CrossProvinceCase, type ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime } from './context.ts';

type Offer = Awaited<ReturnType<typeof api.federationOffers>>[number];
interface Material {
  name: string;
  sha256: string;
}

const STATES: Record<string, { zh: string; en: string; color: string }> = {
  // Colours with AA contrast in the console (console.css darkens green).
  'handed-over': { zh: '已发送', en: 'Sent', color: 'default' },
  accepted: { zh: '办理地已受理', en: 'Accepted there', color: 'default' },
  decided: { zh: '已办结', en: 'Decided', color: 'green' },
  refused: { zh: '未能受理', en: 'Not accepted', color: 'red' },
};

/** The file's SHA-256 in the browser: only the name and digest cross to the other province, never the bytes. */
async function digestOf(file: File): Promise<Material> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  return { name: file.name.slice(0, 100), sha256: [...hash].map((b) => b.toString(16).padStart(2, '0')).join('') };
}

/** 异地代收: the window accepts a case another province handles, hands it over, and follows its states. */
export function CrossHandOver() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm();
  const [offers, setOffers] = useState<Offer[]>([]);
  const [to, setTo] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const [service, setService] = useState<ServiceItem | null>(null);
  const [materials, setMaterials] = useState<Material[]>([]);
  const [cases, setCases] = useState<CrossProvinceCase[] | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per filled form: a retry after a lost answer is the first hand-over, not a second.
  const [key, setKey] = useState(newKey);

  const load = useCallback(() => {
    api.crossCases().then(setCases, (e: unknown) => {
      setCases([]);
      void message.error(errorText(e));
    });
  }, [message]);
  useEffect(() => {
    load();
    api.federationOffers().then(setOffers, (e: unknown) => void message.error(errorText(e)));
  }, [load, message]);
  useEffect(() => {
    setService(null);
    if (code) api.service(code).then(setService, () => setService(null));
  }, [code]);

  const offer = offers.find((o) => o.memberId === to);
  const submit = async (values: Record<string, string | undefined>) => {
    if (!to || !code) return;
    setBusy(true);
    try {
      const fields = Object.fromEntries(
        (service?.formFields ?? []).flatMap((f) => {
          const v = values[`f_${f.name}`]?.trim();
          return v ? [[f.name, v]] : [];
        }),
      );
      const handed = await api.handOver(
        {
          to,
          serviceCode: code,
          form: fields,
          residentId: (values.residentId ?? '').trim().toUpperCase(),
          ...(values.applicantName?.trim() ? { applicantName: values.applicantName.trim() } : {}),
          ...(values.orgCode?.trim() ? { orgCode: values.orgCode.trim() } : {}),
          materials,
        },
        key,
      );
      void message.success(t(`已代收并发送，申请人 ${handed.applicantMasked}`, `Handed over for ${handed.applicantMasked}`));
      form.resetFields();
      setMaterials([]);
      setKey(newKey());
      load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={3}>{t('异地代收', 'Cross-province hand-over')}</Typography.Title>
      <Typography.Paragraph className="cs-muted">
        {t(
          '为他省事项收件：填写申请人和表单，材料只发送文件名与摘要；办理地受理、办结后状态自动回传。',
          'Take in a case another province handles: the applicant and the form; materials cross as names and digests only. The states come back by themselves.',
        )}
      </Typography.Paragraph>
      <Card style={{ marginBottom: 24 }}>
        <Form form={form} layout="vertical" onFinish={(v: Record<string, string | undefined>) => void submit(v)} style={{ maxWidth: 560 }}>
          <Form.Item label={t('办理地', 'Handling province')} required htmlFor="handover-to">
            <Select
              id="handover-to"
              value={to}
              options={offers.map((o) => ({ value: o.memberId, label: o.name }))}
              onChange={(v: string) => {
                setTo(v);
                setCode(null);
              }}
              data-testid="handover-to"
            />
          </Form.Item>
          <Form.Item label={t('事项', 'Service')} required htmlFor="handover-service">
            <Select
              id="handover-service"
              value={code}
              showSearch
              optionFilterProp="label"
              disabled={!offer}
              options={(offer?.services ?? []).map((s) => ({ value: s.code, label: lang === 'zh' ? s.nameZh : s.nameEn }))}
              onChange={(v: string) => setCode(v)}
              data-testid="handover-service"
            />
          </Form.Item>
          <Form.Item
            name="residentId"
            label={t('申请人身份证号码', "Applicant's ID number")}
            rules={[
              { required: true, pattern: /^[0-9]{17}[0-9Xx]$/, message: t('请输入 18 位身份证号码', 'Enter the 18-character ID number') },
            ]}
          >
            <Input maxLength={18} autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="applicantName"
            label={t('申请人姓名（办理地尚未登记时需要）', "Applicant's name (needed if not registered there)")}
          >
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item
            name="orgCode"
            label={t('办理地村（社区）代码（可选）', 'Village code in the handling province (optional)')}
            rules={[{ pattern: /^[0-9]{12}$/, message: t('12 位代码', '12 digits') }]}
          >
            <Input maxLength={12} />
          </Form.Item>
          {(service?.formFields ?? []).map((f) => (
            <Form.Item
              key={f.name}
              name={`f_${f.name}`}
              label={lang === 'zh' ? f.labelZh : f.labelEn}
              rules={f.required ? [{ required: true }] : []}
            >
              {f.options?.length ? (
                <Select options={f.options.map((o) => ({ value: o.value, label: lang === 'zh' ? o.labelZh : o.labelEn }))} />
              ) : (
                <Input type={f.type === 'date' ? 'date' : 'text'} maxLength={f.maxLength} />
              )}
            </Form.Item>
          ))}
          <Form.Item label={t('材料（只发送摘要）', 'Materials (digests only)')}>
            <Upload
              multiple
              fileList={materials.map((m) => ({
                uid: m.sha256 + m.name,
                name: `${m.name} · ${m.sha256.slice(0, 12)}…`,
                status: 'done' as const,
              }))}
              beforeUpload={(file) => {
                void digestOf(file).then((m) => setMaterials((all) => [...all.filter((x) => x.sha256 !== m.sha256), m].slice(0, 50)));
                return false;
              }}
              onRemove={(file) => setMaterials((all) => all.filter((m) => m.sha256 + m.name !== file.uid))}
            >
              <Button>{t('选择文件', 'Choose files')}</Button>
            </Upload>
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} disabled={!to || !code} data-testid="handover-submit">
            {t('代收并发送', 'Hand over')}
          </Button>
        </Form>
      </Card>
      <Typography.Title level={4}>{t('已代收的办件', 'Cases handed over')}</Typography.Title>
      <Table<CrossProvinceCase>
        rowKey="id"
        loading={cases === null}
        dataSource={cases ?? []}
        pagination={false}
        locale={{ emptyText: t('还没有代收的办件', 'No cases handed over yet') }}
        columns={[
          { title: t('办理地', 'Province'), dataIndex: 'peer' },
          { title: t('事项', 'Service'), dataIndex: 'serviceCode' },
          { title: t('申请人', 'Applicant'), dataIndex: 'applicantMasked' },
          {
            title: t('状态', 'State'),
            dataIndex: 'state',
            render: (s: string) => {
              const x = STATES[s] ?? { zh: s, en: s, color: 'default' };
              return <Tag color={x.color}>{t(x.zh, x.en)}</Tag>;
            },
          },
          {
            title: t('结论与理由', 'Decision and reason'),
            render: (_: unknown, c) => (c.decision ? `${c.decision}${c.reason ? ` · ${c.reason}` : ''}` : '—'),
          },
          { title: t('证照', 'Certificate'), render: (_: unknown, c) => c.certificate?.identifier ?? '—' },
          { title: t('更新时间', 'Updated'), dataIndex: 'updatedAt', render: (v: string) => formatDateTime(v, lang) },
        ]}
      />
    </>
  );
}
