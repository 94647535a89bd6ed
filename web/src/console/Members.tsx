import { App as AntApp, Alert, Button, Input, Popconfirm, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { FederationMember } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime } from './context.ts';

type State = 'pending' | 'approved' | 'rejected' | 'revoked';
type Decision = 'approve' | 'reject' | 'revoke';

/** A fingerprint as people compare it on the phone: the first 16 bytes, in groups of four hex digits. */
const fingerprint = (hex: string) => (hex.match(/.{1,4}/g) ?? []).slice(0, 8).join(' ') + (hex.length > 32 ? ' …' : '');

/**
 * 成员审批 (a federation hub, platform administrators): the requests to join and the key changes
 * waiting, with what the operator compares with the province out of band (endpoint, key
 * fingerprint, root certificate subject); approve, or reject with a reason (the rejected requests
 * keep it), each after a confirmation; revoke an approved member. The CLI (`yiban federation approve|reject|revoke`) calls the same service.
 */
export function Members() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [state, setState] = useState<State>('pending');
  const [items, setItems] = useState<FederationMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [reason, setReason] = useState('');

  const load = useCallback(() => {
    setItems(null);
    api.federationMembers(state).then(
      (r) => {
        setItems(r.items);
        setError(null);
      },
      (e: unknown) => {
        setItems([]);
        setError(errorText(e));
      },
    );
  }, [state]);
  useEffect(load, [load]);

  const decide = async (memberId: string, decision: Decision) => {
    setBusy(`${memberId} ${decision}`);
    try {
      await api.decideMember(memberId, decision, decision === 'reject' ? reason.trim() : undefined);
      setReason('');
      const done = { approve: t('已核准', 'Approved'), reject: t('已驳回', 'Rejected'), revoke: t('已撤销', 'Revoked') }[decision];
      void message.success(`${done}: ${memberId}`);
      load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const action = (row: FederationMember, decision: Decision, label: string, confirm: string, danger = false) => (
    <Popconfirm
      key={decision}
      title={confirm}
      // A rejection says why: the reason stays with the rejected request.
      description={
        decision === 'reject' && !row.keyChange ? (
          <Input.TextArea
            aria-label={t('驳回理由', 'Reason for rejection')}
            placeholder={t('驳回理由（必填）', 'Reason (required)')}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        ) : undefined
      }
      okText={label}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ danger, disabled: decision === 'reject' && !row.keyChange && reason.trim() === '' }}
      onConfirm={() => void decide(row.memberId, decision)}
    >
      <Button
        size="small"
        danger={danger}
        type={decision === 'approve' ? 'primary' : 'default'}
        loading={busy === `${row.memberId} ${decision}`}
      >
        {label}
      </Button>
    </Popconfirm>
  );

  return (
    <>
      <Typography.Title level={3}>{t('成员审批', 'Member approval')}</Typography.Title>
      <Typography.Paragraph className="cs-muted">
        {t(
          '核准前请与申请省份线下核对接入地址、密钥指纹与根证书主体。核准后国家根交叉签名其根证书并在成员目录中公布；各节点下次刷新目录时生效。',
          'Before approving, check the endpoint, key fingerprint and root certificate subject with the province out of band. Approval cross-signs its root under the national root and publishes it; every node sees it at its next directory refresh.',
        )}
      </Typography.Paragraph>
      <Segmented<State>
        value={state}
        onChange={setState}
        style={{ marginBottom: 16 }}
        options={[
          { value: 'pending', label: t('待审批', 'Pending') },
          { value: 'approved', label: t('已核准', 'Approved') },
          { value: 'rejected', label: t('已驳回', 'Rejected') },
          { value: 'revoked', label: t('已撤销', 'Revoked') },
        ]}
      />
      {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
      <Table<FederationMember>
        rowKey="memberId"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        locale={{ emptyText: state === 'pending' ? t('没有待审批的申请', 'Nothing waiting for approval') : t('没有成员', 'No members') }}
        columns={[
          {
            title: t('成员', 'Member'),
            key: 'member',
            render: (_: unknown, row) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{row.name}</Typography.Text>
                <Typography.Text code>{row.memberId}</Typography.Text>
                {row.keyChange ? (
                  <Tag color="gold">{t('密钥变更', 'Key change')}</Tag>
                ) : row.status === 'pending' ? (
                  <Tag color="blue">{t('加入申请', 'Join request')}</Tag>
                ) : null}
                {row.status === 'rejected' && (
                  <Typography.Text type="secondary">
                    {t('驳回理由：', 'Reason: ')}
                    {row.rejectionReason ?? '—'}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          { title: t('接入地址', 'Endpoint'), dataIndex: 'endpoint', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          {
            title: t('报文密钥（SHA-256 指纹）', 'Message keys (SHA-256 fingerprint)'),
            key: 'keys',
            render: (_: unknown, row) => (
              <Space direction="vertical" size={2}>
                {row.keys.map((k) => (
                  <span key={k.keyId}>
                    <Typography.Text code>{fingerprint(k.fingerprint)}</Typography.Text>{' '}
                    <span className="cs-muted">
                      {t('至', 'until')} {formatDateTime(k.notAfter, lang)}
                    </span>
                  </span>
                ))}
                {row.keyChange && (
                  <span>
                    {t('新密钥', 'New key')} <Typography.Text code>{fingerprint(row.keyChange.fingerprint)}</Typography.Text>
                  </span>
                )}
              </Space>
            ),
          },
          { title: t('根证书主体', 'Root certificate subject'), dataIndex: 'rootSubject' },
          {
            title: t('申请时间', 'Requested'),
            key: 'requested',
            render: (_: unknown, row) => formatDateTime(row.keyChange?.requestedAt ?? row.requestedAt, lang),
          },
          {
            title: t('操作', 'Action'),
            key: 'action',
            render: (_: unknown, row) =>
              row.status === 'revoked' || row.status === 'rejected' ? (
                '—'
              ) : (
                <Space wrap>
                  {(row.status === 'pending' || row.keyChange) && [
                    action(
                      row,
                      'approve',
                      t('核准', 'Approve'),
                      row.keyChange
                        ? t('核准其新密钥？旧密钥在过渡期内仍有效。', 'Approve its new key? The old one stays valid for the overlap.')
                        : t('核准加入？其根证书将由国家根交叉签名。', 'Approve it? Its root will be cross-signed by the national root.'),
                    ),
                    action(row, 'reject', t('驳回', 'Reject'), t('驳回此申请？', 'Reject this request?')),
                  ]}
                  {row.status === 'approved' &&
                    action(
                      row,
                      'revoke',
                      t('撤销', 'Revoke'),
                      t(
                        '撤销该成员？它将移出目录与信任列表，且不能再次申请。',
                        'Revoke this member? It leaves the directory and trust list and may not ask again.',
                      ),
                      true,
                    )}
                </Space>
              ),
          },
        ]}
      />
    </>
  );
}
