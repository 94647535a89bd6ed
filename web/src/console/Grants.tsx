import { App as AntApp, Button, Card, Empty, Input, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Dataset, Grant, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { OrgPicker, grantState, useMyOrgs } from './sharing-common.tsx';
import { NewGrant } from './NewGrant.tsx';
import './sharing.css';

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
