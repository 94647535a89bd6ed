import { Button, DotLoading, Empty, Form, List, NoticeBar, Result, Steps, Tag, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { CaseDetail, CaseState, CaseView, Certificate, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { SchemaField, fromForm, toForm } from './Apply.tsx';
import { api, errorText, formatDate, formatDateTime } from './context.ts';
import { CaseMaterials } from './CrossEvidence.tsx';

const STATE_COLOR: Record<CaseState, string> = {
  draft: 'default',
  submitted: 'primary',
  accepted: 'primary',
  in_review: 'primary',
  returned: 'warning',
  approved: 'success',
  rejected: 'danger',
  completed: 'success',
};

const ACTION_TEXT: Record<string, { zh: string; en: string }> = {
  create: { zh: '保存草稿', en: 'Draft saved' },
  submit: { zh: '提交申请', en: 'Submitted' },
  accept: { zh: '受理', en: 'Accepted' },
  start_review: { zh: '开始审核', en: 'Review started' },
  return: { zh: '退回补正', en: 'Returned for correction' },
  resubmit: { zh: '补正后重新提交', en: 'Resubmitted' },
  approve: { zh: '审核通过', en: 'Approved' },
  reject: { zh: '不予通过', en: 'Rejected' },
  complete: { zh: '办结', en: 'Completed' },
};

export function StateTag({ c }: { c: Pick<CaseView, 'state' | 'stateLabel' | 'overdue'> }) {
  const { pick, t } = useI18n();
  return (
    <span className="rs-tags">
      <Tag color={STATE_COLOR[c.state]}>{pick(c.stateLabel)}</Tag>
      {c.overdue && <Tag color="danger">{t('已超期', 'Overdue')}</Tag>}
    </span>
  );
}

export function CaseList() {
  const { t, pick, lang } = useI18n();
  const [items, setItems] = useState<CaseView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  useEffect(() => {
    api
      .myCases()
      .then((p) => {
        setItems(p.items);
        setNext(p.next);
      })
      .catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
  }, []);
  if (!items)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  if (items.length === 0) return <Empty description={t('还没有办件', 'No cases yet')} />;
  return (
    <List header={t('我的办件', 'My cases')}>
      {items.map((c) => (
        <List.Item
          key={c.id}
          onClick={() => navigate(`/cases/${c.id}`)}
          description={`${c.caseNo} · ${formatDate(c.submittedAt ?? c.createdAt, lang)}`}
          extra={<StateTag c={c} />}
          arrowIcon
        >
          {pick(c.serviceName)}
        </List.Item>
      ))}
      {next && (
        <List.Item
          onClick={() =>
            void api.myCases(next).then((p) => {
              setItems([...items, ...p.items]);
              setNext(p.next);
            })
          }
        >
          {t('加载更多', 'Load more')}
        </List.Item>
      )}
    </List>
  );
}

export function CaseView({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const [c, setCase] = useState<CaseDetail | null>(null);
  const [service, setService] = useState<ServiceItem | null>(null);
  const [certificate, setCertificate] = useState<Certificate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();

  const load = useCallback(async () => {
    try {
      const detail = await api.case(id);
      setCase(detail);
      setService(await api.service(detail.serviceCode));
      if (detail.state === 'approved' || detail.state === 'completed') setCertificate(await api.caseCertificate(id).catch(() => null));
    } catch (e) {
      setError(errorText(e));
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  if (error) return <Result status="error" title={error} />;
  if (!c)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );

  const current = c.events.length - 1;
  const resubmit = async (values: Record<string, unknown>) => {
    if (!service) return;
    setBusy(true);
    try {
      await api.resubmit(c.id, toForm(service.formFields, values));
      Toast.show({ icon: 'success', content: t('已重新提交', 'Resubmitted') });
      await load();
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rs-page">
      <div className="rs-service-head">
        <h2>{pick(c.serviceName)}</h2>
        <StateTag c={c} />
      </div>
      <List>
        <List.Item extra={c.caseNo}>{t('办件编号', 'Case number')}</List.Item>
        <List.Item extra={c.orgName}>{t('办理单位', 'Handled by')}</List.Item>
        <List.Item extra={formatDateTime(c.submittedAt, lang)}>{t('提交时间', 'Submitted')}</List.Item>
        {c.dueDate && (
          <List.Item
            extra={<span data-testid="due-date">{formatDate(c.dueDate, lang)}</span>}
            description={
              service
                ? t(
                    `承诺 ${service.timeLimitDays} 个工作日内办结（不含节假日）`,
                    `Within ${service.timeLimitDays} working days (holidays excluded)`,
                  )
                : undefined
            }
          >
            {t('承诺办结日期', 'Due date')}
          </List.Item>
        )}
      </List>

      <CaseMaterials caseId={c.id} service={service} />

      {c.state === 'returned' && (
        <NoticeBar
          color="alert"
          wrap
          content={`${t('退回原因', 'Returned because')}：${c.returnReason ?? ''}`}
          data-testid="return-reason"
        />
      )}

      {certificate && (
        <List header={t('电子证明', 'E-certificate')}>
          <List.Item
            onClick={() => navigate(`/certs/${certificate.id}`)}
            arrowIcon
            extra={
              certificate.status === 'active' ? (
                <Tag color="success">{t('有效', 'Valid')}</Tag>
              ) : (
                <Tag color="danger">{t('已撤销', 'Revoked')}</Tag>
              )
            }
          >
            {pick(certificate.typeName)}
          </List.Item>
        </List>
      )}

      <List header={t('办理进度', 'Progress')}>
        <div className="rs-steps">
          <Steps direction="vertical" current={current}>
            {c.events.map((e, i) => (
              <Steps.Step
                key={`${e.at}-${i}`}
                status={e.action === 'return' || e.action === 'reject' ? 'error' : i === current ? 'process' : 'finish'}
                title={
                  e.fromState === null
                    ? t('填写申请', 'Application filled in')
                    : ACTION_TEXT[e.action]
                      ? pick(ACTION_TEXT[e.action]!)
                      : e.action
                }
                description={
                  <span>
                    {formatDateTime(e.at, lang)}
                    {e.reason ? ` · ${e.reason}` : ''}
                    {e.onBehalfOf ? ` · ${t('帮办代办', 'by a helper')}` : ''}
                  </span>
                }
              />
            ))}
          </Steps>
        </div>
      </List>

      {c.state === 'returned' && service && (
        <Form
          form={form}
          layout="vertical"
          initialValues={fromForm(service.formFields, c.form)}
          onFinish={(v: Record<string, unknown>) => void resubmit(v)}
          footer={
            <Button block type="submit" color="primary" size="large" loading={busy}>
              {t('补正后重新提交', 'Correct and resubmit')}
            </Button>
          }
        >
          <Form.Header>{t('补正申请信息', 'Correct your application')}</Form.Header>
          {service.formFields.map((f) => (
            <SchemaField key={f.name} field={f} />
          ))}
        </Form>
      )}
    </div>
  );
}
