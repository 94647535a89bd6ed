import { Button, DotLoading, Empty, Form, Input, List, NoticeBar, Result, Selector, Tag, Toast } from 'antd-mobile';
import { useEffect, useMemo, useState } from 'react';
import { newKey, type CrossProvinceCase, type ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { SchemaField, toForm } from './Apply.tsx';
import { api, errorText, formatDate, formatDateTime } from './context.ts';

type Offer = Awaited<ReturnType<typeof api.federationOffers>>[number];
type ForeignCertificate = Awaited<ReturnType<typeof api.foreignCertificates>>[number];

/** The states of a cross-province case, as both nodes report them (federation_cases). */
const STATES: Record<string, { zh: string; en: string; color: string }> = {
  'handed-over': { zh: '已发送办理地', en: 'Sent to the handling province', color: 'primary' },
  received: { zh: '办理地已收到', en: 'Received there', color: 'primary' },
  accepted: { zh: '办理地已受理', en: 'Accepted there', color: 'primary' },
  decided: { zh: '已办结', en: 'Decided', color: 'success' },
  refused: { zh: '未能受理', en: 'Not accepted', color: 'danger' },
};

const DECISIONS: Record<string, { zh: string; en: string }> = {
  approved: { zh: '准予办理', en: 'Approved' },
  completed: { zh: '已办结', en: 'Completed' },
  rejected: { zh: '不予办理', en: 'Rejected' },
  refused: { zh: '未能受理', en: 'Not accepted' },
};

function CrossStateTag({ state }: { state: string }) {
  const { t } = useI18n();
  const s = STATES[state] ?? { zh: state, en: state, color: 'default' };
  return <Tag color={s.color}>{t(s.zh, s.en)}</Tag>;
}

/** The seal check of a certificate another province issued, with this node's national trust list. */
function VerifyForeign({ bundle }: { bundle: Record<string, unknown> }) {
  const { t } = useI18n();
  const [result, setResult] = useState<{ verdict: string; issuer: string | undefined } | null>(null);
  const [busy, setBusy] = useState(false);
  const check = async () => {
    setBusy(true);
    try {
      const r = await api.verifyBundle(bundle);
      setResult({ verdict: r.verdict, issuer: r.checks.find((c) => c.check === 'issuer')?.result });
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  if (!result)
    return (
      <Button size="mini" loading={busy} onClick={() => void check()} data-testid="verify-foreign">
        {t('核验印章', 'Check the seal')}
      </Button>
    );
  const sealOk = result.issuer === 'pass' && result.verdict !== 'INVALID';
  return (
    <Tag color={sealOk ? 'success' : 'danger'} data-testid="foreign-verdict">
      {sealOk ? t('印章有效（全国信任列表）', 'Seal valid (national trust list)') : t('核验未通过', 'Verification failed')}
    </Tag>
  );
}

/** 跨省办理: the resident's cross-province cases (online or handed over at a window) and their states on both sides. */
export function CrossProvinceList() {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<CrossProvinceCase[] | null>(null);
  const [certs, setCerts] = useState<Map<string, ForeignCertificate>>(new Map());
  const [offers, setOffers] = useState<Offer[]>([]);
  useEffect(() => {
    Promise.all([api.crossCases(), api.foreignCertificates()])
      .then(([cases, foreign]) => {
        setItems(cases);
        setCerts(new Map(foreign.map((c) => [c.crossCaseId, c])));
      })
      .catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    // Province and service names, from the directory (codes are shown when a name is not known).
    api.federationOffers().then(setOffers, () => setOffers([]));
  }, []);
  const province = (id: string) => offers.find((o) => o.memberId === id)?.name ?? id;
  const serviceName = (code: string) => {
    const s = offers.flatMap((o) => o.services).find((x) => x.code === code);
    return s ? (lang === 'zh' ? s.nameZh : s.nameEn) : code;
  };
  return (
    <div className="rs-page">
      <Button block color="primary" onClick={() => navigate('/cross/apply')} data-testid="cross-apply">
        {t('全程网办：申请他省事项', 'Apply online for a service of another province')}
      </Button>
      {!items && (
        <div className="rs-center">
          <DotLoading />
        </div>
      )}
      {items && items.length === 0 && <Empty description={t('还没有跨省办件', 'No cross-province cases yet')} />}
      {items && items.length > 0 && (
        <List header={t('我的跨省办件', 'My cross-province cases')} data-testid="cross-cases">
          {items.map((c) => {
            const cert = certs.get(c.id);
            const decision = c.decision ? DECISIONS[c.decision] : null;
            return (
              <List.Item
                key={c.id}
                extra={<CrossStateTag state={c.state} />}
                description={
                  <div style={{ overflowWrap: 'anywhere' }}>
                    <div>
                      {c.channel === 'online' ? t('全程网办', 'Online') : t('异地代收', 'Handed over at a window')} · {province(c.peer)} ·{' '}
                      {formatDateTime(c.updatedAt, lang)}
                    </div>
                    {decision && (
                      <div>
                        {t('结论', 'Decision')}：{t(decision.zh, decision.en)}
                        {c.reason ? ` · ${c.reason}` : ''}
                      </div>
                    )}
                    {c.certificate && (
                      <div>
                        {t('电子证明', 'Certificate')} {c.certificate.identifier} · {c.certificate.issuerName} ·{' '}
                        {formatDate(c.certificate.issuedAt, lang)} {cert && <VerifyForeign bundle={cert.bundle} />}
                      </div>
                    )}
                  </div>
                }
              >
                {serviceName(c.serviceCode)}
              </List.Item>
            );
          })}
        </List>
      )}
    </div>
  );
}

/** 全程网办: pick a province and one of the services its directory entry lists, fill the form, apply at home. */
export function CrossProvinceApply() {
  const { t, lang } = useI18n();
  const [offers, setOffers] = useState<Offer[] | null>(null);
  const [to, setTo] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const [service, setService] = useState<ServiceItem | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<CrossProvinceCase | null>(null);
  const [form] = Form.useForm();
  // One key per filled form: a retry (a lost answer) finds the first application.
  const key = useMemo(() => (to && code ? newKey() : ''), [to, code]);

  useEffect(() => {
    api
      .federationOffers()
      .then(setOffers)
      .catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
  }, []);
  useEffect(() => {
    setService(null);
    if (!code) return;
    // The codes are the same across the federation: this node's catalogue describes the form.
    api
      .service(code)
      .then(setService)
      .catch(() => setService(null));
  }, [code]);

  if (done)
    return (
      <Result
        status="success"
        title={t('已提交办理地', 'Sent to the handling province')}
        description={
          <Button color="primary" onClick={() => navigate('/cross', { replace: true })}>
            {t('查看跨省办件', 'My cross-province cases')}
          </Button>
        }
      />
    );
  if (!offers)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  if (offers.length === 0) return <Empty description={t('暂无可全程网办的他省事项', 'No other province offers online services yet')} />;
  const offer = offers.find((o) => o.memberId === to);

  const submit = async (values: Record<string, unknown>) => {
    if (!to || !code) return;
    setBusy(true);
    try {
      const orgCode = typeof values.orgCode === 'string' && values.orgCode.trim() ? values.orgCode.trim() : undefined;
      const body = { to, serviceCode: code, form: toForm(service?.formFields ?? [], values), ...(orgCode ? { orgCode } : {}) };
      setDone(await api.applyOnline(body, key));
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rs-page">
      <NoticeBar
        content={t(
          '在本省登录即可申请他省办理的事项，结果和证照送回本省。',
          'Apply here for a service another province handles; the result and certificate come back here.',
        )}
        color="info"
        wrap
      />
      <List header={t('办理地', 'Handling province')}>
        <List.Item>
          <Selector
            columns={1}
            options={offers.map((o) => ({ value: o.memberId, label: o.name }))}
            value={to ? [to] : []}
            onChange={(v) => {
              setTo(v[0] ?? null);
              setCode(null);
            }}
          />
        </List.Item>
      </List>
      {offer && (
        <List header={t('事项', 'Service')}>
          <List.Item>
            <Selector
              columns={1}
              options={offer.services.map((s) => ({ value: s.code, label: lang === 'zh' ? s.nameZh : s.nameEn }))}
              value={code ? [code] : []}
              onChange={(v) => setCode(v[0] ?? null)}
            />
          </List.Item>
        </List>
      )}
      {to && code && (
        <Form
          form={form}
          layout="vertical"
          onFinish={(v: Record<string, unknown>) => void submit(v)}
          footer={
            <Button block type="submit" color="primary" size="large" loading={busy} data-testid="cross-submit">
              {t('提交申请', 'Submit')}
            </Button>
          }
        >
          {(service?.formFields ?? []).map((f) => (
            <SchemaField key={f.name} field={f} />
          ))}
          <Form.Item
            name="orgCode"
            label={t('办理地村（社区）代码（可选）', 'Village code in the handling province (optional)')}
            rules={[{ pattern: /^[0-9]{12}$/, message: t('12 位代码', '12 digits') }]}
          >
            <Input inputMode="numeric" maxLength={12} clearable aria-label={t('办理地村（社区）代码', 'Village code there')} />
          </Form.Item>
        </Form>
      )}
    </div>
  );
}
