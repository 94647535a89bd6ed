/** One case as a reviewer sees it: the form, the history, the actions its state allows, its certificate. */
import { App as AntApp, Button, Card, Descriptions, Input, Modal, Space, Spin, Tag, Timeline, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { CaseAction, CaseDetail, Certificate, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { STATE_COLOR } from './case-states.ts';
import { RuleDecisions } from './RuleDecisions.tsx';
import { CaseSla } from './CaseSla.tsx';

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
  escalate: { zh: '超期督办', en: 'Escalated' },
};

export function CaseReview({ id }: { id: string }) {
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
          <Descriptions.Item label={t('已用时限', 'Working days used')}>
            <span data-testid="sla-clock">
              {t(`${c.sla.workingDays} 个工作日`, `${c.sla.workingDays} working days`)}
              {c.sla.pausedWorkingDays > 0 &&
                t(`（补正暂停 ${c.sla.pausedWorkingDays} 个工作日）`, ` (paused ${c.sla.pausedWorkingDays} for correction)`)}
            </span>{' '}
            {c.sla.paused && <Tag>{t('补正中，计时暂停', 'paused: awaiting correction')}</Tag>}
            {c.sla.overdue && <Tag color="red">{t('已超期', 'overdue')}</Tag>}
          </Descriptions.Item>
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
      <CaseSla sla={c.sla} orgCode={c.orgCode} />
      <RuleDecisions decisions={c.ruleDecisions} />
      <Card title={t('办理记录', 'History')} variant="borderless">
        <Timeline
          items={c.events.map((e) => ({
            color:
              e.action === 'return' || e.action === 'reject'
                ? 'red'
                : e.action === 'approve'
                  ? 'green'
                  : e.action === 'escalate'
                    ? 'orange'
                    : 'blue',
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
