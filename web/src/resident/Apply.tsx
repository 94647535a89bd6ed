import { Button, DotLoading, Form, Input, List, NoticeBar, Result, Selector, Tag, Toast } from 'antd-mobile';
import { useEffect, useMemo, useState } from 'react';
import { newKey, type CaseView, type FormField, type ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText } from './context.ts';

/** One input per field of the service's form schema. */
export function SchemaField({ field }: { field: FormField }) {
  const { lang, t } = useI18n();
  const label = lang === 'zh' ? field.labelZh : field.labelEn;
  const rules = field.required ? [{ required: true, message: t(`请填写${field.labelZh}`, `${field.labelEn} is required`) }] : [];
  if (field.options && field.options.length > 0) {
    return (
      <Form.Item name={field.name} label={label} rules={rules}>
        <Selector columns={2} options={field.options.map((o) => ({ value: o.value, label: lang === 'zh' ? o.labelZh : o.labelEn }))} />
      </Form.Item>
    );
  }
  if (field.type === 'date') {
    return (
      <Form.Item name={field.name} label={label} rules={rules}>
        <Input type="date" aria-label={label} />
      </Form.Item>
    );
  }
  return (
    <Form.Item name={field.name} label={label} rules={rules}>
      <Input placeholder={t(`请输入${field.labelZh}`, label)} maxLength={field.maxLength} clearable />
    </Form.Item>
  );
}

/** Selector values are arrays; the API takes strings. */
export function toForm(fields: FormField[], values: Record<string, unknown>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    const text = Array.isArray(v) ? String(v[0] ?? '') : typeof v === 'string' ? v.trim() : '';
    if (text) form[f.name] = text;
  }
  return form;
}

export function fromForm(fields: FormField[], form: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const f of fields) {
    const v = form[f.name];
    if (v !== undefined) values[f.name] = f.options?.length ? [v] : v;
  }
  return values;
}

export function Apply({ code }: { code: string }) {
  const { t, lang } = useI18n();
  const [service, setService] = useState<ServiceItem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<CaseView | null>(null);
  const [form] = Form.useForm();
  const key = useMemo(() => newKey(), []);

  useEffect(() => {
    api
      .service(code)
      .then(async (s) => {
        setService(s);
        // Prefill what the platform already knows: the address of the home village.
        const me = await api.me();
        if (me.kind === 'resident' && me.homeOrg && s.formFields.some((f) => f.name === 'address')) {
          const chain = await api.ancestors(me.homeOrg.code).catch(() => ({ items: [] }));
          // 塔元庄村民委员会 is the village's committee; an address names the village: 塔元庄村.
          const address = (chain.items.map((o) => o.name).join('') || me.homeOrg.name)
            .replace(/村民委员会$/, '村')
            .replace(/居民委员会$/, '社区');
          if (!form.getFieldValue('address')) form.setFieldValue('address', address);
        }
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, [code, form]);

  if (error) return <Result status="error" title={error} />;
  if (!service)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  if (done) {
    return (
      <Result
        status="success"
        title={t('申请已提交', 'Application submitted')}
        description={
          <div>
            <div>
              {t('办件编号', 'Case number')} {done.caseNo}
            </div>
            {done.dueDate && (
              <div>
                {t(
                  `承诺办结日期 ${done.dueDate}（${service.timeLimitDays} 个工作日内）`,
                  `Due by ${done.dueDate} (${service.timeLimitDays} working days)`,
                )}
              </div>
            )}
            <Button color="primary" size="large" style={{ marginTop: 16 }} onClick={() => navigate(`/cases/${done.id}`, { replace: true })}>
              {t('查看办理进度', 'Track this case')}
            </Button>
          </div>
        }
      />
    );
  }

  const onFinish = async (values: Record<string, unknown>) => {
    setBusy(true);
    try {
      setDone(await api.submitCase({ serviceCode: service.code, form: toForm(service.formFields, values) }, key));
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rs-page">
      <div className="rs-service-head">
        <h2>{lang === 'zh' ? service.nameZh : service.nameEn}</h2>
        <div className="rs-service-meta">
          <Tag color="primary" fill="outline">
            {t(`${service.timeLimitDays} 个工作日`, `${service.timeLimitDays} working days`)}
          </Tag>
          <Tag color="success" fill="outline">
            {service.feeCents === 0 ? t('免费', 'Free') : `¥${(service.feeCents / 100).toFixed(2)}`}
          </Tag>
        </div>
      </div>
      <List header={t('所需材料', 'Materials')}>
        {service.materials.map((m) => (
          <List.Item
            key={m.code}
            extra={
              m.proofFree ? <Tag color="success">{t('免提交', 'Not needed')}</Tag> : <Tag color="warning">{t('需上传', 'Upload')}</Tag>
            }
            description={m.proofFree ? t('平台自动获取，无需提交', 'The platform fetches it for you') : undefined}
          >
            {lang === 'zh' ? m.nameZh : m.nameEn}
          </List.Item>
        ))}
      </List>
      {!service.online && <NoticeBar content={t('此事项需到窗口办理', 'This item is handled at the counter')} color="alert" />}
      <Form
        form={form}
        layout="vertical"
        onFinish={(v: Record<string, unknown>) => void onFinish(v)}
        footer={
          <Button block type="submit" color="primary" size="large" loading={busy} disabled={!service.online}>
            {t('提交申请', 'Submit')}
          </Button>
        }
      >
        <Form.Header>{t('填写申请信息', 'Application details')}</Form.Header>
        {service.formFields.map((f) => (
          <SchemaField key={f.name} field={f} />
        ))}
      </Form>
    </div>
  );
}
