import { Alert, Col, Form, Input, Modal, Row, Typography } from 'antd';
import { useState } from 'react';
import type { ProposeRuleBody, RuleBody, RuleVersion } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText } from './context.ts';

interface ProposalForm {
  nameZh: string;
  nameEn: string;
  effectiveFrom: string;
  effectiveTo?: string;
  titleZh: string;
  articleZh: string;
  titleEn: string;
  articleEn: string;
  body: string;
  reason: string;
}

/**
 * 新版本: a new version of a rule, prefilled from the one it starts from. The conditions, parameters
 * and amount are edited as JSON (the server parses and type-checks every expression and checks the
 * data grants); the reason is required and recorded with who proposed it.
 */
export function RuleProposal({
  from,
  onClose,
  onProposed,
}: {
  from: RuleVersion;
  onClose: () => void;
  onProposed: (v: RuleVersion) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<ProposalForm>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const values = await form.validateFields();
    let body: RuleBody;
    try {
      body = JSON.parse(values.body) as RuleBody;
    } catch (e) {
      setError(t(`规则内容不是有效的 JSON：${errorText(e)}`, `The rule body is not valid JSON: ${errorText(e)}`));
      return;
    }
    const input: ProposeRuleBody = {
      nameZh: values.nameZh,
      nameEn: values.nameEn,
      orgCode: from.orgCode,
      purpose: from.purpose,
      body,
      legalBasis: { titleZh: values.titleZh, articleZh: values.articleZh, titleEn: values.titleEn, articleEn: values.articleEn },
      effectiveFrom: values.effectiveFrom,
      effectiveTo: values.effectiveTo || null,
      reason: values.reason,
    };
    setBusy(true);
    setError(null);
    try {
      onProposed(await api.proposeRule(from.ruleCode, input));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const required = [{ required: true, whitespace: true, message: t('必填', 'Required') }];
  return (
    <Modal
      open
      width={760}
      title={t(`提出新版本（基于第 ${from.version} 版）`, `Propose a new version (from version ${from.version})`)}
      okText={t('提交新版本', 'Submit the version')}
      cancelText={t('取消', 'Cancel')}
      confirmLoading={busy}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph className="cs-muted">
        {t(
          '新版本提交后为草稿，需经试运行并由另一名工作人员启用后才生效。',
          'A new version is a draft: dry-run it, and another officer switches it on.',
        )}
      </Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} data-testid="rule-proposal-error" style={{ marginBottom: 16 }} />}
      <Form<ProposalForm>
        form={form}
        layout="vertical"
        initialValues={{
          nameZh: from.nameZh,
          nameEn: from.nameEn,
          effectiveFrom: from.effectiveFrom,
          effectiveTo: from.effectiveTo ?? '',
          ...from.legalBasis,
          body: JSON.stringify(from.body, null, 2),
          reason: '',
        }}
      >
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item name="nameZh" label={t('名称（中文）', 'Name (Chinese)')} rules={required}>
              <Input maxLength={100} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="nameEn" label={t('名称（英文）', 'Name (English)')} rules={required}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="effectiveFrom" label={t('生效日期', 'Effective from')} rules={required}>
              <Input type="date" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="effectiveTo" label={t('截止日期（可空）', 'Effective to (optional)')}>
              <Input type="date" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="titleZh" label={t('法律依据（文件）', 'Legal basis (document)')} rules={required}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="articleZh" label={t('条款', 'Article')} rules={required}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="titleEn" label={t('法律依据（英文）', 'Legal basis (English)')}>
              <Input maxLength={300} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="articleEn" label={t('条款（英文）', 'Article (English)')}>
              <Input maxLength={300} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="body"
          label={t('条件、参数与金额（JSON）', 'Conditions, parameters and amount (JSON)')}
          extra={t(
            'clauses：CEL 条件及其通俗说明；params：按日期生效的参数（金额以分计）；amount：金额公式。',
            'clauses: CEL conditions with their plain words; params: dated parameters (amounts in fen); amount: the amount formula.',
          )}
          rules={required}
        >
          <Input.TextArea rows={14} spellCheck={false} style={{ fontFamily: 'monospace', fontSize: 12 }} />
        </Form.Item>
        <Form.Item name="reason" label={t('修改理由', 'Reason for the change')} rules={required}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
