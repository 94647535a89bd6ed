import { App as AntApp, Button, Card, Col, Empty, Form, Input, InputNumber, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import type { InsurancePolicy, PolicyDryRun } from '../shared/insurance-api.ts';
import { yuan } from '../shared/money.ts';
import { errorText, formatDateTime, insuranceApi, insuranceOrgs, session } from './context.ts';
import { DryRunResult, formOf, LEVELS, proposalOf, SCHEMES, type PolicyForm } from './insurance-policy-form.tsx';

function NewVersion({ region, current, onPublished }: { region: string; current: InsurancePolicy; onPublished: () => void }) {
  const { t } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [form] = Form.useForm<PolicyForm>();
  const [run, setRun] = useState<PolicyDryRun | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    form.setFieldsValue(formOf(current));
    setRun(null);
  }, [form, current]);

  const dryRun = async () => {
    const values = await form.validateFields();
    setBusy(true);
    try {
      setRun(await insuranceApi.dryRunPolicy(proposalOf(region, values), values.month));
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const publish = async () => {
    const values = await form.validateFields();
    const proposal = proposalOf(region, values);
    const ok = await modal.confirm({
      title: t('发布新版本？', 'Publish the new version?'),
      content: t(
        `${region} 政策 ${proposal.version} 自 ${proposal.effectiveFrom} 起施行，现行版本于前一日终止。发布后记入账本，不能撤回。`,
        `${region} policy ${proposal.version} applies from ${proposal.effectiveFrom}; the version in force ends the day before. Publishing is recorded in the ledger and cannot be undone.`,
      ),
      okText: t('发布', 'Publish'),
      cancelText: t('取消', 'Cancel'),
    });
    if (!ok) return;
    setBusy(true);
    try {
      const done = await insuranceApi.publishPolicy(proposal);
      void message.success(t(`已发布 ${done.region}-${done.version}`, `Published ${done.region}-${done.version}`));
      setRun(null);
      onPublished();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const money = (name: (string | number)[], label: string) => (
    <Form.Item name={name} label={label} rules={[{ required: true, message: t('必填', 'Required') }]}>
      <InputNumber min={0} step={100} precision={2} addonAfter={t('元', 'yuan')} style={{ width: '100%' }} />
    </Form.Item>
  );
  const percent = (name: (string | number)[], label: string) => (
    <Form.Item name={name} label={label} rules={[{ required: true, message: t('必填', 'Required') }]}>
      <InputNumber min={0} max={100} step={1} precision={1} addonAfter="%" style={{ width: '100%' }} />
    </Form.Item>
  );

  return (
    <Card title={t('新版本', 'New version')} style={{ marginTop: 16 }} data-testid="policy-form">
      <Typography.Paragraph className="cs-muted">
        {t(
          '以现行版本为底稿修改；先试算上月结算的影响，再发布。新版本的施行日期须晚于现行版本，现行版本于前一日终止。',
          'Start from the version in force; dry-run it over last month’s settlements, then publish. It must start after the version in force, which ends the day before.',
        )}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onValuesChange={() => setRun(null)} disabled={busy}>
        <Row gutter={16}>
          <Col xs={24} md={6}>
            <Form.Item
              name="version"
              label={t('版本号', 'Version')}
              rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, message: t('如 2027', 'e.g. 2027') }]}
            >
              <Input placeholder="2027" />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item
              name="effectiveFrom"
              label={t('施行日期', 'Applies from')}
              rules={[{ required: true, message: t('必填', 'Required') }]}
            >
              <Input type="date" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              name="legalBasis"
              label={t('依据文件', 'Legal basis')}
              rules={[{ required: true, min: 4, message: t('请写明文件', 'Name the document') }]}
            >
              <Input.TextArea rows={2} maxLength={500} />
            </Form.Item>
          </Col>
        </Row>
        {SCHEMES.map((s) => (
          <Row gutter={16} key={s.key}>
            <Col span={24}>
              <Typography.Text strong>{t(s.zh, s.en)}</Typography.Text>
            </Col>
            {LEVELS.map((l) => (
              <Col xs={12} md={3} key={`d${l}`}>
                {money(['deductible', s.key, l], t(`${s.zh} ${l}级医院起付线`, `${s.en}: deductible, level ${l}`))}
              </Col>
            ))}
            {LEVELS.map((l) => (
              <Col xs={12} md={3} key={`r${l}`}>
                {percent(['ratio', s.key, l], t(`${s.zh} ${l}级支付比例`, `${s.en}: fund share, level ${l}`))}
              </Col>
            ))}
            <Col xs={12} md={6}>
              {money(['yearCap', s.key], t(`${s.zh} 年度最高支付`, `${s.en}: year cap`))}
            </Col>
          </Row>
        ))}
        <Row gutter={16}>
          <Col xs={12} md={4}>
            {percent(['laterStay'], t('再次住院起付线比例', 'Later stays’ deductible'))}
          </Col>
          <Col xs={12} md={4}>
            {percent(['classB'], t('乙类先行自付', 'Class B paid first'))}
          </Col>
          <Col xs={12} md={5}>
            {percent(['away', 'province'], t('省内异地降低（百分点）', 'Elsewhere in province (points less)'))}
          </Col>
          <Col xs={12} md={5}>
            {percent(['away', 'otherProvinceFiled'], t('跨省已备案降低', 'Other province, filed'))}
          </Col>
          <Col xs={12} md={5}>
            {percent(['away', 'otherProvinceUnfiled'], t('跨省未备案降低', 'Other province, unfiled'))}
          </Col>
        </Row>
        <Row gutter={16} align="bottom">
          <Col xs={24} md={6}>
            <Form.Item name="month" label={t('试算月份', 'Dry-run month')} rules={[{ required: true, message: t('必填', 'Required') }]}>
              <Input type="month" />
            </Form.Item>
          </Col>
          <Col xs={24} md={18}>
            <Form.Item>
              <Space>
                <Button onClick={() => void dryRun()} loading={busy} data-testid="policy-dry-run-button">
                  {t('试算', 'Dry run')}
                </Button>
                <Button type="primary" disabled={!run} onClick={() => void publish()} data-testid="policy-publish-button">
                  {t('发布', 'Publish')}
                </Button>
                {!run && <Typography.Text type="secondary">{t('先试算，再发布', 'Dry-run first, then publish')}</Typography.Text>}
              </Space>
            </Form.Item>
          </Col>
        </Row>
      </Form>
      {run && <DryRunResult run={run} />}
    </Card>
  );
}

/** 政策: each region's dated versions, and (with insurance.manage) a new version with its dry run before publishing. */
export function InsurancePolicies() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const mayManage = insuranceOrgs(me, 'insurance.manage').length > 0;
  const [rows, setRows] = useState<InsurancePolicy[] | null>(null);
  const [region, setRegion] = useState<string | undefined>();

  const load = useCallback(() => {
    insuranceApi.policies().then(
      (list) => {
        setRows(list);
        setRegion((r) => r ?? list[0]?.region);
      },
      (e: unknown) => {
        setRows([]);
        void message.error(errorText(e));
      },
    );
  }, [message]);
  useEffect(load, [load]);

  const regions = useMemo(() => [...new Set((rows ?? []).map((r) => r.region))], [rows]);
  const versions = (rows ?? []).filter((r) => r.region === region);
  const current = versions[0];

  return (
    <>
      <Card
        title={t('医保政策版本', 'Policy versions')}
        extra={
          <Select
            aria-label={t('统筹区', 'Pooling region')}
            style={{ minWidth: 140 }}
            value={region}
            onChange={setRegion}
            options={regions.map((r) => ({ value: r, label: r }))}
          />
        }
      >
        <div data-testid="policy-versions">
          <Table<InsurancePolicy>
            rowKey={(r) => `${r.region}-${r.version}`}
            loading={rows === null}
            dataSource={versions}
            pagination={false}
            size="middle"
            locale={{ emptyText: <Empty description={t('暂无政策', 'No policies')} /> }}
            expandable={{
              expandedRowRender: (p) => (
                <Typography.Text className="cs-muted">
                  {SCHEMES.map(
                    (s) =>
                      `${t(s.zh, s.en)}：${t('起付线', 'deductible')} ${LEVELS.map((l) => yuan(p.deductibleFen[s.key][l])).join(' / ')}；${t('比例', 'share')} ${LEVELS.map((l) => `${p.ratioPermille[s.key][l] / 10}%`).join(' / ')}；${t('封顶', 'cap')} ${yuan(p.yearCapFen[s.key])}`,
                  ).join('　')}
                </Typography.Text>
              ),
            }}
            columns={[
              { title: t('版本', 'Version'), render: (_, r) => <Typography.Text code>{`${r.region}-${r.version}`}</Typography.Text> },
              { title: t('施行', 'From'), dataIndex: 'effectiveFrom' },
              {
                title: t('终止', 'Until'),
                render: (_, r) => (r.effectiveTo ? r.effectiveTo : <Tag color="green">{t('现行', 'In force')}</Tag>),
              },
              {
                title: t('居民医保比例（一/二/三级）', 'Residents’ share (1/2/3)'),
                render: (_, r) => LEVELS.map((l) => `${r.ratioPermille.resident[l] / 10}%`).join(' / '),
              },
              { title: t('依据', 'Basis'), render: (_, r) => <span style={{ whiteSpace: 'normal' }}>{r.legalBasis}</span> },
              {
                title: t('发布', 'Published'),
                render: (_, r) =>
                  `${r.createdBy === 'seed' ? t('初始数据', 'seed') : t('经办人', 'officer')} · ${formatDateTime(r.createdAt, lang)}`,
              },
            ]}
          />
        </div>
      </Card>
      {mayManage && region && current && <NewVersion region={region} current={current} onPublished={load} />}
    </>
  );
}
